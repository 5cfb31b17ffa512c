// The package's contents, from electron-builder's own run (--dir, Linux x64): what lands in app.asar,
// what is unpacked, and the extra resources. Electron's binary cannot be downloaded here, so a stub file
// stands in for it through electronDist (it is copied, never run) and the native rebuild is skipped.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { listPackage } from '@electron/asar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src-main/core/config/index.ts';
import { makeTempDir } from '../../test-support/tmp.ts';
import { builderConfig, notarizeFromEnv } from '../../electron-builder.config.mjs';

const bin = (n: string) => path.join(REPO_ROOT, 'node_modules', '.bin', n);

describe.skipIf(process.platform !== 'linux')('the Linux package (electron-builder --dir)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let appDir: string;
  let entries: string[];

  beforeAll(async () => {
    tmp = makeTempDir('orchard-pack-');
    const stub = path.join(tmp.dir, 'electron-stub');
    fs.mkdirSync(path.join(stub, 'resources'), { recursive: true });
    fs.writeFileSync(path.join(stub, 'electron'), '#!/bin/sh\n', { mode: 0o755 });
    execFileSync(bin('electron-vite'), ['build'], { cwd: REPO_ROOT, stdio: 'ignore' });
    const { stageEngine } = (await import('../../scripts/dist.mjs')) as {
      stageEngine(): Promise<unknown>;
    };
    await stageEngine();
    execFileSync(
      bin('electron-builder'),
      [
        '--config',
        'electron-builder.config.mjs',
        '--linux',
        'dir',
        '--x64',
        `-c.electronDist=${stub}`,
        '-c.npmRebuild=false',
        `-c.directories.output=${path.join(tmp.dir, 'dist')}`,
      ],
      { cwd: REPO_ROOT, stdio: 'ignore' },
    );
    appDir = path.join(tmp.dir, 'dist', 'linux-unpacked', 'resources');
    entries = listPackage(path.join(appDir, 'app.asar'), { isPack: false }).map((e) =>
      e.replaceAll('\\', '/'),
    );
  }, 240_000);
  afterAll(() => tmp?.cleanup());

  it('app.asar holds the built app and production modules, and nothing of tests, fixtures, .venv, bench or e2e', () => {
    for (const f of [
      '/package.json',
      '/out/main/index.js',
      '/out/preload/index.cjs',
      '/out/renderer/index.html',
      '/node_modules/better-sqlite3/package.json',
      '/node_modules/zod/package.json',
    ])
      expect(entries, f).toContain(f);
    const bad = entries.filter((e) =>
      /(^|\/)(tests?|__tests__|fixtures|e2e|bench|\.venv|test-support|inference-sidecar|src-main|src-renderer|src-shared|scripts)(\/|$)|\.map$|\.test\.|\.spec\./.test(
        e.replace(/^\/node_modules\/.*\/node_modules\//, '/node_modules/'),
      ),
    );
    expect(bad).toEqual([]);
    // Dev tools stay out.
    for (const dev of ['electron', 'vitest', 'electron-builder', 'playwright-core', 'svelte'])
      expect(entries).not.toContain(`/node_modules/${dev}/package.json`);
  });

  it('the SQLite addon is unpacked beside the archive (native code cannot load from inside it)', () => {
    const unpacked = fs.readdirSync(path.join(appDir, 'app.asar.unpacked'), { recursive: true });
    expect(unpacked.some((f) => String(f).endsWith('better_sqlite3.node'))).toBe(true);
  });

  it('the engine resources (uv, sidecar wheel, hash-locked requirements, engine.json) and tray icons ride along', () => {
    const engine = fs.readdirSync(path.join(appDir, 'engine')).sort();
    expect(engine).toContain('uv');
    expect(engine).toContain('requirements.txt');
    expect(engine).toContain('engine.json');
    expect(engine.some((f) => /^orchard_sidecar-.*\.whl$/.test(f))).toBe(true);
    expect(fs.statSync(path.join(appDir, 'engine', 'uv')).mode & 0o111).not.toBe(0);
    const req = fs.readFileSync(path.join(appDir, 'engine', 'requirements.txt'), 'utf8');
    expect(req).toContain('mlx-cpu==');
    expect(req).toContain('--hash=sha256:');
    expect(fs.readdirSync(path.join(appDir, 'tray'))).toContain('trayTemplate.png');
  });
});

describe('the electron-builder configuration', () => {
  it('targets macOS arm64 dmg+zip with hardened runtime and Linux AppImage+deb for x64 and arm64, icons present', () => {
    const c = builderConfig({}, () => undefined);
    expect(c.mac).toMatchObject({ hardenedRuntime: true, notarize: false });
    expect(c.mac!.target).toEqual([
      { target: 'dmg', arch: ['arm64'] },
      { target: 'zip', arch: ['arm64'] },
    ]);
    expect(c.linux!.target).toEqual([
      { target: 'AppImage', arch: ['x64', 'arm64'] },
      { target: 'deb', arch: ['x64', 'arm64'] },
    ]);
    for (const f of [c.mac!.entitlements, c.mac!.icon])
      expect(fs.existsSync(path.join(REPO_ROOT, f as string)), f as string).toBe(true);
    for (const n of [16, 32, 48, 64, 128, 256, 512])
      expect(fs.existsSync(path.join(REPO_ROOT, 'resources', 'icons', `${n}x${n}.png`))).toBe(true);
  });

  it('notarizes only with Apple credentials in the environment', () => {
    expect(notarizeFromEnv({}, () => undefined)).toBe(false);
    expect(
      notarizeFromEnv(
        { APPLE_ID: 'a', APPLE_APP_SPECIFIC_PASSWORD: 'b', APPLE_TEAM_ID: 'c' },
        () => undefined,
      ),
    ).toBe(true);
  });
});
