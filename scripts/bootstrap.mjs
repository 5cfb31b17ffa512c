#!/usr/bin/env node
// One-command setup: npm packages, the sidecar's Python environment, the starter model and (for tests) Chromium.
// Uses only Node built-ins so it runs before `npm ci`; every step is skipped when its stamp is current.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stampDir = join(root, '.orchard-bootstrap');
const sidecarDir = join(root, 'inference-sidecar');
const venvPython = join(
  sidecarDir,
  '.venv',
  process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python',
);

class BootstrapError extends Error {}

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (res.error) throw new BootstrapError(`could not run ${cmd}: ${res.error.message}`);
  if (res.status !== 0)
    throw new BootstrapError(`${cmd} ${args.join(' ')} exited with code ${res.status}`);
}

function capture(cmd, args) {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  return res.status === 0 ? res.stdout.trim() : null;
}

function hashOf(...parts) {
  const h = createHash('sha256');
  // Files count by their content; anything else (a version, a folder path, a flag) by its text.
  for (const p of parts)
    h.update(existsSync(p) && statSync(p).isFile() ? readFileSync(p) : String(p));
  return h.digest('hex').slice(0, 16);
}

// A step runs when the key of its inputs differs from the stamp it left last time, or when its output is
// gone. The key holds inputs only: a key that included the output's presence, computed before the step
// made it, would differ on the next run and redo the step.
function step(index, total, { name, key, present = () => true, action }) {
  const stamp = join(stampDir, `${name.replace(/\W+/g, '-')}.stamp`);
  const label = `[${index}/${total}] ${name}`;
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === key && present()) {
    console.log(`${label}: up to date`);
    return;
  }
  console.log(`${label}: working…`);
  const t0 = Date.now();
  action();
  mkdirSync(stampDir, { recursive: true });
  writeFileSync(stamp, key);
  console.log(`${label}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
}

function buildWebUi() {
  run(join(root, 'node_modules', '.bin', 'vite'), [
    'build',
    '--config',
    'vite.renderer.config.ts',
    '--logLevel',
    'warn',
  ]);
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const ok = (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major >= 24;
  if (!ok)
    throw new BootstrapError(
      `Orchard needs Node.js 20.19+, 22.12+ or 24+, and this is ${process.versions.node}.`,
    );
}

function findPython() {
  const candidates = process.env.ORCHARD_PYTHON
    ? [process.env.ORCHARD_PYTHON]
    : ['python3.13', 'python3.12', 'python3.11', 'python3.10', 'python3', 'python'];
  let seen = null;
  for (const c of candidates) {
    const v = capture(c, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']);
    if (!v) continue;
    const [maj, min] = v.split('.').map(Number);
    if (maj === 3 && min >= 10) return c;
    seen ??= `${c} is ${v}`;
  }
  throw new BootstrapError(
    `Orchard's inference sidecar needs Python 3.10 or newer, and none was found${seen ? ` (${seen})` : ''}.`,
  );
}

function checkPlatform() {
  if (process.platform === 'darwin' && process.arch !== 'arm64') {
    throw new BootstrapError(
      'MLX needs a Mac with Apple silicon; this Mac has an Intel processor.',
    );
  }
}

function npmEnv() {
  const env = { ...process.env };
  // Electron's binary comes from outside the npm registry; on Linux the app runs headless instead.
  if (process.platform === 'linux' && env.ELECTRON_SKIP_BINARY_DOWNLOAD === undefined) {
    env.ELECTRON_SKIP_BINARY_DOWNLOAD = '1';
  }
  // better-sqlite3 builds from source; use the system's Node headers rather than downloading them.
  if (existsSync('/usr/include/node/node.h') && !env.npm_config_nodedir)
    env.npm_config_nodedir = '/usr';
  return env;
}

function installNpm() {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  run(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { env: npmEnv() });
}

function installVenv(python) {
  if (!existsSync(venvPython)) run(python, ['-m', 'venv', join(sidecarDir, '.venv')]);
  run(venvPython, [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    '--upgrade',
    'pip',
  ]);
  run(venvPython, [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    '-e',
    `${sidecarDir}[test]`,
    // The fixture models are a package of their own, which the sidecar's distribution leaves out.
    '-e',
    join(sidecarDir, 'fixtures'),
  ]);
  const mlx = capture(venvPython, ['-c', 'import mlx.core as mx; print(mx.default_device())']);
  if (!mlx)
    throw new BootstrapError('MLX was installed but does not import; see the pip output above.');
  console.log(`      MLX ready on ${mlx}`);
}

export function hfCacheDir() {
  if (process.env.HF_HUB_CACHE) return process.env.HF_HUB_CACHE;
  const hfHome =
    process.env.HF_HOME ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  return join(hfHome, 'hub');
}

function installStarterModel() {
  run(venvPython, ['-m', 'orchard_sidecar.starter', '--cache', hfCacheDir()]);
}

function installEmbeddingModel() {
  run(venvPython, ['-m', 'orchard_sidecar.embedding_starter', '--cache', hfCacheDir()]);
}

function chromiumPath() {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (p && existsSync(p)) return p;
  }
  return null;
}

function installChromium() {
  if (chromiumPath()) return;
  if (process.getuid?.() !== 0) {
    throw new BootstrapError(
      'End-to-end tests need Chromium: install the "chromium" package or set CHROMIUM_PATH.',
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { env });
}

// MLX's Linux CPU wheel links the reference BLAS; the sidecar binds OpenBLAS instead when it is present
// (orchard_sidecar/cpu_blas.py looks in the same places), which makes float32 matmul 40-50x faster.
function openblasPath() {
  const dirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64'];
  return dirs.map((d) => join(d, 'libopenblas.so.0')).find((p) => existsSync(p)) ?? null;
}

function installOpenblas(purpose) {
  if (openblasPath()) return;
  if (process.getuid?.() !== 0 || !capture('sh', ['-c', 'command -v apt-get'])) {
    const hint = 'install OpenBLAS (Debian/Ubuntu: apt-get install libopenblas0-pthread)';
    // Tests check the fast path, so they need it; the app only runs slower without it.
    if (purpose === 'test') throw new BootstrapError(`Tests on Linux need OpenBLAS: ${hint}.`);
    console.log(`      OpenBLAS not found: models will run slower on the CPU; ${hint}.`);
    return;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'libopenblas0-pthread'], {
    env,
  });
}

export function bootstrap(purpose = 'setup') {
  console.log(
    `Orchard setup (${purpose}) on ${process.platform}-${process.arch}, Node ${process.versions.node}`,
  );
  checkNode();
  checkPlatform();
  const python = findPython();
  const pyVersion = capture(python, ['--version']);
  const steps = [
    {
      name: 'npm packages',
      key: hashOf(join(root, 'package-lock.json'), process.versions.node, process.platform),
      present: () => existsSync(join(root, 'node_modules', '.package-lock.json')),
      action: installNpm,
    },
    {
      name: 'sidecar venv',
      key: hashOf(
        join(sidecarDir, 'pyproject.toml'),
        join(sidecarDir, 'fixtures', 'pyproject.toml'),
        pyVersion,
        process.platform,
      ),
      present: () => existsSync(venvPython),
      action: () => installVenv(python),
    },
    {
      name: 'web UI',
      key: hashOf(
        ...['src-renderer', 'src-shared']
          .map((d) => join(root, d))
          .filter((d) => existsSync(d))
          .flatMap(filesUnder),
        join(root, 'vite.renderer.config.ts'),
      ),
      present: () => existsSync(join(root, 'out', 'renderer', 'index.html')),
      action: buildWebUi,
    },
  ];
  // Tests build their own fixture caches; the app and the benchmarks use the user's Hugging Face cache.
  if (purpose !== 'test' && process.env.ORCHARD_STARTER !== '0') {
    const starterRef = join(
      hfCacheDir(),
      'models--HuggingFaceTB--SmolLM2-135M-Instruct',
      'refs',
      'main',
    );
    steps.push({
      name: 'starter model',
      key: hashOf(join(sidecarDir, 'orchard_sidecar', 'starter.py'), hfCacheDir()),
      present: () => existsSync(starterRef),
      action: installStarterModel,
    });
    // The optional second starter: an embedding model (all-MiniLM-L6-v2); ORCHARD_EMBEDDING_STARTER=0 skips it.
    if (process.env.ORCHARD_EMBEDDING_STARTER !== '0') {
      steps.push({
        name: 'embedding model',
        key: hashOf(join(sidecarDir, 'orchard_sidecar', 'embedding_starter.py'), hfCacheDir()),
        present: () =>
          existsSync(
            join(hfCacheDir(), 'models--sentence-transformers--all-MiniLM-L6-v2', 'refs', 'main'),
          ),
        action: installEmbeddingModel,
      });
    }
  }
  // System packages: the step's work is to make the library present, so presence is its whole key.
  if (process.platform === 'linux') {
    steps.push({
      name: 'OpenBLAS',
      key: 'openblas',
      present: () => openblasPath() !== null,
      action: () => installOpenblas(purpose),
    });
  }
  if (purpose === 'test' && process.platform === 'linux') {
    steps.push({
      name: 'chromium',
      key: 'chromium',
      present: () => chromiumPath() !== null,
      action: installChromium,
    });
  }
  steps.forEach((s, i) => step(i + 1, steps.length, s));
  console.log('Orchard setup: ready');
}

/** Runs the setup and exits with a clear line on a known failure (the entry scripts call this). */
export function bootstrapOrExit(purpose) {
  try {
    bootstrap(purpose);
  } catch (err) {
    if (err instanceof BootstrapError) {
      console.error(`\nOrchard setup failed: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const purposeArg = process.argv.indexOf('--for');
  bootstrapOrExit(purposeArg > 0 ? process.argv[purposeArg + 1] : 'setup');
}
