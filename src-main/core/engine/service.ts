// The engine service: which engine runs the sidecar (a checkout's .venv, or the managed one under
// ORCHARD_HOME/engine), its status, and install/repair with progress events for the screen and the CLI.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type {
  EngineProgress,
  EngineRun,
  EngineStatus,
  EngineVerify,
  EngineVersions,
} from '#shared/contract/engine.ts';
import type { Config } from '../config/index.ts';
import { CoreError } from '../errors/index.ts';
import { engineLayout, venvPython } from './layout.ts';
import { inspectEngine, type Inspection } from './inspect.ts';
import { installEngine } from './install.ts';
import { probeEngine } from './verify.ts';
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
  /** The state read from disk, without probing (cheap: the CLI's status and every start). */
  status(): EngineStatus;
  /** The status with the versions of the engine in use: a checkout's .venv is probed once. */
  describe(): Promise<EngineStatus>;
  /** Probes the engine in use again (imports, an MLX computation) and records the result. */
  verify(): Promise<EngineStatus>;
  /** A ready engine's Python and folder, installing or repairing it first when needed. */
  ensure(): Promise<{ python: string; dir: string }>;
  install(): Promise<EngineStatus>;
  repair(): Promise<EngineStatus>;
  /** Starts an install or repair off the caller's path (or joins the one under way); returns at once. */
  start(action: 'install' | 'repair'): EngineStatus;
  /**
   * Called after a run in this process verified and switched in a new engine, before the run counts as
   * finished: core restarts the sidecar onto it there. Resolves true when the sidecar was restarted.
   */
  onSwitched(hook: (engine: { python: string; dir: string }) => Promise<boolean>): void;
  events: EventEmitter<{ progress: [EngineProgress]; run: [EngineStatus] }>;
}

const venvRefusal = (): CoreError =>
  new CoreError(
    'conflict',
    'this checkout runs the sidecar from inference-sidecar/.venv (made by npm run setup); set ORCHARD_ENGINE=managed to use a managed engine',
  );

/** Lines of the steps kept for the engine screen's log. */
const LOG_LINES = 200;

export function createEngine(o: EngineOptions): EngineService {
  const layout = engineLayout(o.dataDir);
  const events = new EventEmitter<{ progress: [EngineProgress]; run: [EngineStatus] }>();
  let progress: EngineProgress | null = null;
  let running: Promise<EngineStatus> | null = null;
  let expected: string | null = null;
  let lastRun: EngineRun | null = null;
  /** The last probe of an engine's Python (venv: also its versions), keyed by that Python. */
  let probed: { python: string; verify: EngineVerify; versions: EngineVersions | null } | null =
    null;
  let switched: ((e: { python: string; dir: string }) => Promise<boolean>) | null = null;

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

  /** The latest proof about the engine in use: its install's verify step (engine.json) or a later probe. */
  function lastVerify(s: Inspection | null, python: string | null): EngineVerify | null {
    const candidates: EngineVerify[] = [];
    if (probed && probed.python === python) candidates.push(probed.verify);
    if (s?.installedAt && s.versions)
      candidates.push({
        ok: true,
        at: s.installedAt,
        detail: `imports, MLX on ${s.versions.device}, the sidecar answered /health`,
      });
    return candidates.sort((a, b) => (a.at < b.at ? 1 : -1))[0] ?? null;
  }

  function status(): EngineStatus {
    if (o.mode === 'venv') {
      const ok = fs.existsSync(o.venvPython);
      const probe = probed?.python === o.venvPython ? probed : null;
      const broken = ok && probe && !probe.verify.ok;
      return {
        mode: 'venv',
        state: !ok ? 'missing' : broken ? 'corrupt' : 'ready',
        expectedVersion: null,
        installedVersion: null,
        dir: path.dirname(path.dirname(o.venvPython)),
        python: o.venvPython,
        versions: probe?.versions ?? null,
        problem: !ok
          ? `${o.venvPython} is missing: run npm run setup`
          : broken
            ? `the checkout's engine does not work: ${probe.verify.detail}`
            : null,
        progress: null,
        verify: probe?.verify ?? null,
        run: null,
      };
    }
    let s: Inspection;
    try {
      s = inspectEngine(layout, expectedVersion());
    } catch (e) {
      // The packaged app's resources are unreadable: nothing can be installed until the app is.
      s = {
        state: 'missing',
        expectedVersion: null,
        installedVersion: null,
        dir: null,
        python: null,
        versions: null,
        problem: (e as Error).message,
      };
    }
    const verify = lastVerify(s, s.python);
    const broken = s.state === 'ready' && verify && !verify.ok && probed?.python === s.python;
    const { installedAt: _at, ...rest } = s;
    return {
      mode: 'managed',
      ...rest,
      state: running ? 'installing' : broken ? 'corrupt' : s.state,
      problem: broken ? `the engine does not work: ${verify.detail}` : s.problem,
      progress,
      verify,
      run: lastRun,
    };
  }

  /** One probe at a time: callers that arrive while one runs share its answer. */
  let probing: Promise<void> | null = null;
  function probe(): Promise<void> {
    probing ??= probeOnce().finally(() => (probing = null));
    return probing;
  }

  async function probeOnce(): Promise<void> {
    const s = status();
    const python = s.mode === 'venv' ? o.venvPython : s.python;
    if (!python || !fs.existsSync(python)) return;
    const at = (): string => new Date().toISOString();
    try {
      const v = await probeEngine(python, s.mode === 'venv' ? o.repoRoot : (s.dir ?? o.repoRoot));
      probed = {
        python,
        verify: {
          ok: true,
          at: at(),
          detail: `imports and a computation on ${v.device}`,
        },
        versions: v,
      };
    } catch (e) {
      probed = {
        python,
        verify: { ok: false, at: at(), detail: (e as Error).message },
        versions: null,
      };
    }
  }

  function run(force: boolean): Promise<EngineStatus> {
    if (o.mode === 'venv') return Promise.reject(venvRefusal());
    if (running) return running;
    if (!force && status().state === 'ready') return Promise.resolve(status());
    const record: EngineRun = {
      action: force ? 'repair' : 'install',
      state: 'running',
      startedAt: new Date().toISOString(),
      finishedAt: null,
      steps: [],
      log: [],
      error: null,
      sidecarRestarted: false,
    };
    lastRun = record;
    progress = null;
    const finish = (state: EngineRun['state'], error: string | null): void => {
      lastRun = { ...record, state, error, finishedAt: new Date().toISOString() };
      running = null;
      events.emit('run', status());
    };
    // The install begins on the next microtask, so the run's start is announced before its first step.
    running = Promise.resolve()
      .then(() =>
        installEngine({
          layout,
          resources,
          uvCacheDir: o.uvCacheDir ?? path.join(layout.root, 'cache'),
          python: o.python,
          onProgress: (p) => {
            progress = p;
            const i = record.steps.findIndex((x) => x.step === p.step);
            if (i >= 0) record.steps[i] = p;
            else record.steps.push(p);
            if (p.detail) {
              record.log.push(
                p.state === 'running' ? p.detail : `${p.step}: ${p.state}: ${p.detail}`,
              );
              if (record.log.length > LOG_LINES)
                record.log.splice(0, record.log.length - LOG_LINES);
            }
            lastRun = { ...record, steps: [...record.steps], log: [...record.log] };
            events.emit('progress', p);
          },
        }),
      )
      .then(async (info) => {
        // What was just installed and verified is this process's engine, even if a checkout's
        // sources changed meanwhile.
        expected = info.version;
        const dir = layout.version(info.version);
        if (switched) {
          try {
            record.sidecarRestarted = await switched({ python: venvPython(dir), dir });
          } catch (e) {
            record.log.push(
              `the sidecar did not restart on the new engine: ${(e as Error).message}`,
            );
          }
        }
        finish('succeeded', null);
        return status();
      })
      .catch((e: unknown) => {
        finish('failed', (e as Error).message);
        throw e;
      });
    events.emit('run', status());
    return running;
  }

  return {
    mode: o.mode,
    status,
    events,
    install: () => run(false),
    repair: () => run(true),
    start(action) {
      if (o.mode === 'venv') throw venvRefusal();
      // The outcome arrives as a `run` event (and in status().run); the caller is not kept waiting.
      run(action === 'repair').catch(() => undefined);
      return status();
    },
    onSwitched(hook) {
      switched = hook;
    },
    async describe() {
      const s = status();
      const python = s.mode === 'venv' ? o.venvPython : s.python;
      if (s.mode === 'venv' && python && probed?.python !== python) await probe();
      return status();
    },
    async verify() {
      if (running) throw new CoreError('conflict', 'an engine install is under way');
      await probe();
      return status();
    },
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
