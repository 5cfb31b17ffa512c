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
});
export type EngineStatus = z.infer<typeof EngineStatus>;

export const engineMethods = {
  'engine.status': method(Empty, EngineStatus),
  /** Installs the expected engine when it is not ready; a ready engine is left as it is. */
  'engine.install': method(Empty, EngineStatus),
  /** Installs the expected engine afresh, whatever its state, then switches to it. */
  'engine.repair': method(Empty, EngineStatus),
} as const;

export const engineEvents = {
  engineProgress: EngineProgress,
} as const;
