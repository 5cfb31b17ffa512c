// The managed inference engine (the Python environment the sidecar runs in): its state, the versions it
// holds, and the steps of an install or repair with their progress, for the engine screen and the CLI.
import { z } from 'zod';
import { Empty, method } from './common.ts';

export const ENGINE_STEPS = [
  'prepare',
  'resources',
  'python',
  'packages',
  'sidecar',
  'verify',
  'switch',
] as const;
export const EngineStep = z.enum(ENGINE_STEPS);
export type EngineStep = z.infer<typeof EngineStep>;

export const EngineProgress = z.object({
  step: EngineStep,
  /** 1-based position of the step and the number of steps. */
  index: z.number().int(),
  total: z.number().int(),
  state: z.enum(['running', 'done', 'failed']),
  /** A line of what the step is doing (uv's own progress lines, the versions found). */
  detail: z.string().nullable(),
  /** How far the step is, 0–100, where it can be counted (the packages step); else null. */
  percent: z.number().min(0).max(100).nullable(),
  /** Bytes of the downloads uv announced and finished (per package, as uv reports them); else null. */
  bytes: z.object({ done: z.number(), total: z.number() }).nullable(),
});
export type EngineProgress = z.infer<typeof EngineProgress>;

export const EngineVersions = z.object({
  python: z.string(),
  mlx: z.string(),
  mlxLm: z.string(),
  sidecar: z.string(),
  device: z.string(),
});
export type EngineVersions = z.infer<typeof EngineVersions>;

/** The last proof that the engine works: the install's verify step, or a probe of the engine in use. */
export const EngineVerify = z.object({
  ok: z.boolean(),
  /** ISO time of the check. */
  at: z.string(),
  /** What was checked, or why it failed. */
  detail: z.string(),
});
export type EngineVerify = z.infer<typeof EngineVerify>;

/** An install or repair started in this process (the engine screen shows it, also after it ended). */
export const EngineRun = z.object({
  action: z.enum(['install', 'repair']),
  state: z.enum(['running', 'succeeded', 'failed']),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  /** The latest report of every step reached, in step order. */
  steps: z.array(EngineProgress),
  /** The last lines the steps wrote (uv, pip, the verify probe), oldest first. */
  log: z.array(z.string()),
  error: z.string().nullable(),
  /** Whether the sidecar was restarted onto the new engine after it was verified and switched in. */
  sidecarRestarted: z.boolean(),
});
export type EngineRun = z.infer<typeof EngineRun>;

export const EngineStatus = z.object({
  /** `venv`: a checkout's inference-sidecar/.venv; `managed`: installed under ORCHARD_HOME/engine. */
  mode: z.enum(['venv', 'managed']),
  state: z.enum(['ready', 'missing', 'outdated', 'corrupt', 'installing']),
  /** The engine this app expects (app version + a hash of its lock file and sidecar). */
  expectedVersion: z.string().nullable(),
  installedVersion: z.string().nullable(),
  dir: z.string().nullable(),
  python: z.string().nullable(),
  versions: EngineVersions.nullable(),
  /** Why it is not ready (a missing file, another version), else null. */
  problem: z.string().nullable(),
  progress: EngineProgress.nullable(),
  /** Absent where the status is read without probing (the CLI's quick status). */
  verify: EngineVerify.nullable().optional(),
  run: EngineRun.nullable().optional(),
});
export type EngineStatus = z.infer<typeof EngineStatus>;

export const engineMethods = {
  /** The state, with the versions of the engine in use (probed once for a checkout's .venv). */
  'engine.status': method(Empty, EngineStatus),
  /** Starts installing the expected engine when it is not ready and returns at once (progress comes as
   * `engineProgress` events, the end as `engineStatus`); a call while a run is under way joins it. */
  'engine.install': method(Empty, EngineStatus),
  /** Starts installing the expected engine afresh, whatever its state; joins a run under way. */
  'engine.repair': method(Empty, EngineStatus),
  /** Probes the engine in use again (imports, a computation on the MLX device) and returns the status. */
  'engine.verify': method(Empty, EngineStatus),
} as const;

export const engineEvents = {
  engineProgress: EngineProgress,
  /** A run started or ended (succeeded or failed, and the sidecar restarted onto the new engine). */
  engineStatus: EngineStatus,
} as const;
