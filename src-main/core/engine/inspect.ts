// Reads what is installed under ORCHARD_HOME/engine and says whether it is the engine this app expects,
// whole: missing, from another version, damaged (a file of its manifest gone) or ready.
import fs from 'node:fs';
import { z } from 'zod';
import type { EngineStatus } from '#shared/contract/engine.ts';
import { ENGINE_FILE, MANIFEST_FILE, venvPython, type EngineLayout } from './layout.ts';
import { firstDamage, type Manifest } from './verify.ts';

export const Installed = z.object({
  version: z.string(),
  python: z.string(),
  versions: z.object({
    python: z.string(),
    mlx: z.string(),
    mlxLm: z.string(),
    sidecar: z.string(),
    device: z.string(),
  }),
  installedAt: z.string(),
});
export type Installed = z.infer<typeof Installed>;

const Current = z.object({ version: z.string() });

function readJson<T>(file: string, schema: z.ZodType<T>): T | null {
  try {
    return schema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch {
    return null;
  }
}

export type Inspection = Omit<EngineStatus, 'mode' | 'progress' | 'verify' | 'run'> & {
  /** When the engine in use was installed (and verified). */
  installedAt?: string;
};

export function inspectEngine(layout: EngineLayout, expectedVersion: string): Inspection {
  const base = {
    expectedVersion,
    installedVersion: null,
    dir: null,
    python: null,
    versions: null,
  };
  const current = readJson(layout.current, Current);
  if (!current) return { ...base, state: 'missing', problem: 'no engine is installed' };
  const dir = layout.version(current.version);
  const info = readJson(`${dir}/${ENGINE_FILE}`, Installed);
  const manifest = readJson(`${dir}/${MANIFEST_FILE}`, z.array(z.tuple([z.string(), z.number()])));
  if (!info || !manifest) {
    return {
      ...base,
      installedVersion: current.version,
      state: 'missing',
      problem: `the folder of engine ${current.version} is gone or incomplete`,
    };
  }
  const found = {
    ...base,
    installedVersion: info.version,
    dir,
    python: venvPython(dir),
    versions: info.versions,
    installedAt: info.installedAt,
  };
  if (info.version !== expectedVersion) {
    return {
      ...found,
      state: 'outdated',
      problem: `engine ${info.version} is installed; this app needs ${expectedVersion}`,
    };
  }
  const damage = fs.existsSync(venvPython(dir))
    ? firstDamage(dir, manifest as Manifest)
    : 'its Python is missing';
  if (damage) return { ...found, state: 'corrupt', problem: `the engine is damaged: ${damage}` };
  return { ...found, state: 'ready', problem: null };
}
