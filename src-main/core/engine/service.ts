// The engine service: which engine runs the sidecar (a checkout's .venv, or the managed one under
// ORCHARD_HOME/engine), its status, and install/repair with progress events for the screen and the CLI.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { EngineProgress, EngineStatus } from '#shared/contract/engine.ts';
import type { Config } from '../config/index.ts';
import { CoreError } from '../errors/index.ts';
import { engineLayout } from './layout.ts';
import { inspectEngine } from './inspect.ts';
import { installEngine } from './install.ts';
import {
  checkoutResources,
  engineVersion,
  readResources,
  type EngineResources,
} from './resources.ts';

export interface EngineOptions {
  mode: 'venv' | 'managed';
  dataDir: string;
  repoRoot: string;
  appVersion: string;
  /** The checkout's .venv Python (venv mode). */
  venvPython: string;
  /** Shipped resources (the packaged app's resources/engine); absent in a checkout. */
  resourcesDir?: string;
  /** A Python with pip for staging a checkout's resources. */
  stagingPython?: string;
  uvCacheDir?: string;
  /** ORCHARD_PYTHON: the Python the engine is made from, instead of uv's search. */
  python?: string;
}

export interface EngineService {
  readonly mode: 'venv' | 'managed';
  status(): EngineStatus;
  /** A ready engine's Python and folder, installing or repairing it first when needed. */
  ensure(): Promise<{ python: string; dir: string }>;
  install(): Promise<EngineStatus>;
  repair(): Promise<EngineStatus>;
  events: EventEmitter<{ progress: [EngineProgress] }>;
}

export function createEngine(o: EngineOptions): EngineService {
  const layout = engineLayout(o.dataDir);
  const events = new EventEmitter<{ progress: [EngineProgress] }>();
  let progress: EngineProgress | null = null;
  let running: Promise<EngineStatus> | null = null;
  let expected: string | null = null;

  const expectedVersion = (): string => {
    expected ??= o.resourcesDir
      ? readResources(o.resourcesDir).version
      : engineVersion(o.repoRoot, o.appVersion);
    return expected;
  };
  const resources = (onLine: (l: string) => void): Promise<EngineResources> =>
    o.resourcesDir
      ? Promise.resolve(readResources(o.resourcesDir))
      : checkoutResources({
          repoRoot: o.repoRoot,
          appVersion: o.appVersion,
          python: o.stagingPython ?? 'python3',
          onLine,
        });

  function status(): EngineStatus {
    if (o.mode === 'venv') {
      const ok = fs.existsSync(o.venvPython);
      return {
        mode: 'venv',
        state: ok ? 'ready' : 'missing',
        expectedVersion: null,
        installedVersion: null,
        dir: path.dirname(path.dirname(o.venvPython)),
        python: o.venvPython,
        versions: null,
        problem: ok ? null : `${o.venvPython} is missing: run npm run setup`,
        progress: null,
      };
    }
    const s = inspectEngine(layout, expectedVersion());
    return { mode: 'managed', ...s, state: running ? 'installing' : s.state, progress };
  }

  function run(force: boolean): Promise<EngineStatus> {
    if (o.mode === 'venv') {
      return Promise.reject(
        new CoreError(
          'conflict',
          'this checkout runs the sidecar from inference-sidecar/.venv; set ORCHARD_ENGINE=managed to use a managed engine',
        ),
      );
    }
    if (running) return running;
    if (!force && status().state === 'ready') return Promise.resolve(status());
    running = installEngine({
      layout,
      resources,
      uvCacheDir: o.uvCacheDir ?? path.join(layout.root, 'cache'),
      python: o.python,
      onProgress: (p) => {
        progress = p;
        events.emit('progress', p);
      },
    })
      .then((info) => {
        // What was just installed and verified is this process's engine, even if a checkout's
        // sources changed meanwhile.
        expected = info.version;
        running = null;
        return status();
      })
      .catch((e: unknown) => {
        running = null;
        throw e;
      });
    return running;
  }

  return {
    mode: o.mode,
    status,
    events,
    install: () => run(false),
    repair: () => run(true),
    async ensure() {
      if (o.mode === 'venv') return { python: o.venvPython, dir: o.repoRoot };
      const s = await run(false);
      if (s.state !== 'ready' || !s.python || !s.dir)
        throw new CoreError('internal', `the engine is not ready: ${s.problem ?? s.state}`);
      return { python: s.python, dir: s.dir };
    },
  };
}

/** The engine a config selects (ORCHARD_ENGINE, or the packaged app's layout). */
export function engineFromConfig(config: Config, appVersion: string): EngineService {
  const e = config.engine ?? { mode: 'venv' as const };
  const venvPy = config.sidecar.python;
  return createEngine({
    mode: e.mode,
    dataDir: config.dataDir,
    repoRoot: config.repoRoot,
    appVersion,
    venvPython: venvPy,
    resourcesDir: e.resourcesDir,
    // A checkout stages uv and the sidecar wheel with pip: its .venv has it, else the system's Python.
    stagingPython: fs.existsSync(venvPy) ? venvPy : (e.python ?? 'python3'),
    uvCacheDir: e.uvCacheDir,
    python: e.python,
  });
}

/** The config with the sidecar run by the engine's Python, from the engine's folder (so the installed
 * wheel is imported, never a source tree beside it). */
export function withEngine(config: Config, engine: { python: string; dir: string }): Config {
  if (config.engine?.mode !== 'managed') return config;
  return { ...config, sidecar: { python: engine.python, cwd: engine.dir } };
}
