// Installs an engine: under a lock, into a half-made folder (.staging-*) that is deleted when an install
// is interrupted, verified there, and only then switched in; the engine in use stays until the new works.
import fs from 'node:fs';
import path from 'node:path';
import { ENGINE_STEPS, type EngineProgress, type EngineStep } from '#shared/contract/engine.ts';
import { CoreError } from '../errors/index.ts';
import { ENGINE_FILE, MANIFEST_FILE, isLeftover, venvPython, type EngineLayout } from './layout.ts';
import type { Installed } from './inspect.ts';
import { runTool } from './proc.ts';
import type { EngineResources } from './resources.ts';
import { packagesMeter, type Measure } from './progress.ts';
import { listFiles, probeEngine, sidecarAnswersHealth } from './verify.ts';

/** Pythons MLX and mlx-lm publish wheels for. */
export const PYTHON_REQUEST = '>=3.11,<3.14';

export interface InstallOptions {
  layout: EngineLayout;
  resources: (onLine: (l: string) => void) => Promise<EngineResources>;
  /** uv's cache: shared between installs so a repair or a restarted install downloads nothing twice. */
  uvCacheDir: string;
  /** A Python to use instead of uv's search (ORCHARD_PYTHON). */
  python?: string;
  onProgress: (p: EngineProgress) => void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the install lock; one left by a process that is gone is taken over. */
function lock(file: string): () => void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (let i = 0; i < 2; i++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(file, 'utf8'));
      if (pid && pid !== process.pid && isAlive(pid))
        throw new CoreError('conflict', `another engine install is running (pid ${pid})`);
      fs.rmSync(file, { force: true });
    }
  }
  throw new CoreError('conflict', 'could not take the engine install lock');
}

function writeJsonAtomic(file: string, data: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

export async function installEngine(o: InstallOptions): Promise<Installed> {
  const { layout } = o;
  let current: EngineStep = 'prepare';
  const total = ENGINE_STEPS.length;
  let measure: Measure = { percent: null, bytes: null };
  let meter: ((l: string) => Measure) | null = null;
  const report = (state: EngineProgress['state'], detail: string | null = null): void =>
    o.onProgress({
      step: current,
      index: ENGINE_STEPS.indexOf(current) + 1,
      total,
      state,
      detail,
      percent: state === 'done' ? 100 : measure.percent,
      bytes: measure.bytes,
    });
  const begin = (step: EngineStep, detail: string | null = null): void => {
    current = step;
    meter = step === 'packages' ? packagesMeter() : null;
    measure = { percent: meter ? 0 : null, bytes: null };
    report('running', detail);
  };
  const line = (l: string): void => {
    const t = l.trim();
    if (!t) return;
    if (meter) measure = meter(t);
    report('running', t);
  };

  let unlock: (() => void) | null = null;
  let staging: string | null = null;
  try {
    begin('prepare');
    unlock = lock(layout.lock);
    for (const name of fs.readdirSync(layout.root)) {
      if (!isLeftover(name)) continue;
      fs.rmSync(path.join(layout.root, name), { recursive: true, force: true });
      report('running', `removed an interrupted install's folder ${name}`);
    }
    report('done');

    begin('resources');
    const res = await o.resources(line);
    report('done', `engine ${res.version}`);
    staging = layout.staging(res.version);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      UV_CACHE_DIR: o.uvCacheDir,
      UV_PYTHON_INSTALL_DIR: layout.pythons,
      UV_NO_CONFIG: '1',
      UV_NO_PROGRESS: '1',
      PYTHONNOUSERSITE: '1',
    };
    delete env.VIRTUAL_ENV;

    begin('python');
    await runTool(
      res.uv,
      [
        'venv',
        '--relocatable',
        '--python-preference',
        'system',
        '--python',
        o.python ?? PYTHON_REQUEST,
        staging,
      ],
      { env, onLine: line },
    );
    const python = venvPython(staging);
    report('done');

    begin('packages');
    await runTool(
      res.uv,
      ['pip', 'install', '--python', python, '--require-hashes', '-r', res.requirements],
      { env, onLine: line },
    );
    report('done');

    begin('sidecar');
    await runTool(res.uv, ['pip', 'install', '--python', python, '--no-deps', res.wheel], {
      env,
      onLine: line,
    });
    report('done');

    begin('verify');
    const versions = await probeEngine(python, staging);
    report(
      'running',
      `Python ${versions.python} · MLX ${versions.mlx} on ${versions.device} · mlx-lm ${versions.mlxLm}`,
    );
    await sidecarAnswersHealth(python, staging);
    report('done', 'the sidecar answered /health');

    begin('switch');
    const info: Installed = {
      version: res.version,
      python: versions.python,
      versions,
      installedAt: new Date().toISOString(),
    };
    fs.writeFileSync(path.join(staging, MANIFEST_FILE), JSON.stringify(listFiles(staging)));
    fs.writeFileSync(path.join(staging, ENGINE_FILE), `${JSON.stringify(info, null, 2)}\n`);
    const target = layout.version(res.version);
    // A repair replaces a folder of the same version: the damaged one moves aside first.
    if (fs.existsSync(target)) fs.renameSync(target, layout.old(res.version));
    fs.renameSync(staging, target);
    staging = null;
    writeJsonAtomic(layout.current, { version: res.version });
    // The new engine works and is in use: older ones go.
    for (const name of fs.readdirSync(layout.root)) {
      const full = path.join(layout.root, name);
      if (name === res.version || !fs.statSync(full).isDirectory()) continue;
      if (name === 'python' || name === 'cache') continue;
      fs.rmSync(full, { recursive: true, force: true });
    }
    report('done', `engine ${res.version} in use`);
    return info;
  } catch (e) {
    report('failed', (e as Error).message);
    if (staging) fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  } finally {
    unlock?.();
  }
}
