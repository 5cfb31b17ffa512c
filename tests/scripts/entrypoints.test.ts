// The npm entry points as users and supervisors run them: a repeated setup does no work again, and
// SIGTERM sent to `npm run serve` (what Docker and launchd send) stops core and the sidecar with it.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pidsWithEnv, waitUntil } from '../../test-support/sidecar/kit.ts';
import { makeTempDir } from '../../test-support/tmp.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

describe('npm entry points', () => {
  const tmp = makeTempDir('orchard-entry-');
  afterAll(() => tmp.cleanup());

  it('a second setup finds every step up to date', { timeout: 300_000 }, () => {
    const setup = () =>
      spawnSync(process.execPath, ['scripts/bootstrap.mjs', '--for', 'test'], {
        cwd: ROOT,
        encoding: 'utf8',
      });
    expect(setup().status).toBe(0);
    const second = setup();
    expect(second.status).toBe(0);
    const steps = second.stdout.split('\n').filter((l) => /^\[\d+\/\d+\] /.test(l));
    expect(steps.length).toBeGreaterThanOrEqual(4);
    expect(steps.filter((l) => !l.endsWith(': up to date'))).toEqual([]);
  });

  it('SIGTERM to `npm run serve` stops core and the sidecar', { timeout: 300_000 }, async () => {
    const marker = `ORCHARD_ENTRY_TEST=${process.pid}-${Date.now()}`;
    const [key, value] = marker.split('=') as [string, string];
    const env = {
      ...process.env,
      [key]: value,
      ORCHARD_HOME: path.join(tmp.dir, 'home'),
      HF_HUB_CACHE: path.join(tmp.dir, 'hub'),
      ORCHARD_PORT: '0',
      ORCHARD_STARTER: '0',
    };
    const npm = spawn('npm', ['run', 'serve'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    npm.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    npm.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    try {
      await waitUntil(
        () => out.includes('Orchard is ready') || npm.exitCode !== null,
        180_000,
        'the ready line',
      );
      expect(out).toContain('Orchard is ready');
      // npm itself, core and the sidecar all carry the marker; the sidecar shows the engine started.
      await waitUntil(() => pidsWithEnv(marker).length >= 3, 30_000, 'core and the sidecar');
      npm.kill('SIGTERM');
      await waitUntil(() => pidsWithEnv(marker).length === 0, 60_000, 'every process to exit');
    } finally {
      for (const pid of pidsWithEnv(marker)) process.kill(pid, 'SIGKILL');
    }
  });
});
