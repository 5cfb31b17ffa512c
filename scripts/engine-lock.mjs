#!/usr/bin/env node
// Regenerates the managed engine's hash-locked requirements (one per platform) from the sidecar's
// pyproject.toml with uv from its PyPI wheel. Run after changing the sidecar's dependencies.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const UV_VERSION = '0.13.9'; // keep equal to UV_VERSION in src-main/core/engine/resources.ts
const venvPy = join(root, 'inference-sidecar', '.venv', 'bin', 'python');
const python = existsSync(venvPy) ? venvPy : 'python3';
const locks = join(root, 'src-main', 'core', 'engine', 'locks');
// MLX's oldest macOS wheels are for macOS 14; Linux wheels need glibc 2.35.
const TARGETS = [
  ['requirements-linux.txt', 'x86_64-manylinux_2_35', {}],
  ['requirements-macos.txt', 'aarch64-apple-darwin', { MACOSX_DEPLOYMENT_TARGET: '14.0' }],
];

const work = mkdtempSync(join(tmpdir(), 'orchard-lock-'));
try {
  const run = (cmd, args, env = {}) =>
    execFileSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  run(python, [
    '-m',
    'pip',
    'download',
    '-q',
    '--no-deps',
    '--only-binary=:all:',
    '-d',
    work,
    `uv==${UV_VERSION}`,
  ]);
  const whl = readdirSync(work).find((f) => f.endsWith('.whl'));
  run(python, [
    '-c',
    `import zipfile,os,sys; z=zipfile.ZipFile(sys.argv[1]); open(sys.argv[2],'wb').write(z.read(next(n for n in z.namelist() if n.endswith('.data/scripts/uv')))); os.chmod(sys.argv[2],0o755)`,
    join(work, whl),
    join(work, 'uv'),
  ]);
  for (const [file, platform, env] of TARGETS) {
    run(
      join(work, 'uv'),
      [
        'pip',
        'compile',
        join(root, 'inference-sidecar', 'pyproject.toml'),
        '--generate-hashes',
        '--python-platform',
        platform,
        '--python-version',
        '3.11',
        '--no-header',
        '--quiet',
        '-o',
        join(locks, file),
      ],
      { ...env, UV_CACHE_DIR: join(work, 'cache') },
    );
    console.log(`wrote ${join(locks, file)}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
