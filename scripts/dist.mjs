#!/usr/bin/env node
// `npm run dist`: the installable packages for this machine's platform (macOS: dmg+zip, Linux:
// AppImage+deb). Builds the bundles, stages the engine's resources into build/engine, runs electron-builder.
// Extra arguments go to electron-builder (e.g. --dir, --arm64).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** Stages uv (from its PyPI wheel), the sidecar wheel and the platform's lock into build/engine. */
export async function stageEngine(platform = process.platform, arch = process.arch) {
  const { register } = await import('tsx/esm/api');
  register();
  const { stageResources } = await import(
    pathToFileURL(join(root, 'src-main', 'core', 'engine', 'index.ts')).href
  );
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const python = join(root, 'inference-sidecar', '.venv', 'bin', 'python');
  return stageResources({
    repoRoot: root,
    appVersion: version,
    python,
    out: join(root, 'build', 'engine'),
    platform,
    arch,
    onLine: (l) => console.log(`  ${l}`),
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (!existsSync(join(root, 'inference-sidecar', '.venv'))) {
    console.error(
      'Run `npm run setup` first: packaging uses its Python to fetch uv and build the sidecar wheel.',
    );
    process.exit(1);
  }
  const platform =
    process.platform === 'darwin' ? '--mac' : process.platform === 'linux' ? '--linux' : null;
  if (!platform) {
    console.error(`Orchard packages are built for macOS and Linux, not ${process.platform}.`);
    process.exit(2);
  }
  run(bin('electron-vite'), ['build']);
  const res = await stageEngine();
  console.log(`engine resources: ${res.version} in build/engine`);
  run(bin('electron-builder'), [
    '--config',
    'electron-builder.config.mjs',
    platform,
    ...process.argv.slice(2),
  ]);
}
