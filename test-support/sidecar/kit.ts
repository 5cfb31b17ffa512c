// Test helpers for sidecar tests: paths, a quiet logger, and a look at the process table.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { REPO_ROOT } from '../../src-main/core/config/index.ts';
import type { Logger } from '../../src-main/core/log/index.ts';

export const VENV_PYTHON = path.join(REPO_ROOT, 'inference-sidecar', '.venv', 'bin', 'python');
export const SIDECAR_DIR = path.join(REPO_ROOT, 'inference-sidecar');
export const FAKE_SIDECAR = path.join(REPO_ROOT, 'test-support', 'sidecar', 'fake_sidecar.py');

/** A logger that records lines in memory, so tests can see what the supervisor re-emitted. */
export function memoryLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    objectMode: true,
    write(chunk: Record<string, unknown>, _enc, cb) {
      lines.push({ ...chunk });
      cb();
    },
  });
  const log = winston.createLogger({
    level: 'debug',
    transports: [new winston.transports.Stream({ stream: sink })],
  });
  return { log: log.child({ component: 'sidecar' }), lines };
}

/** Pids of live (non-zombie) processes whose command line contains `needle`. */
export function pidsMatching(needle: string): number[] {
  if (process.platform !== 'linux') throw new Error('pidsMatching reads /proc (Linux only)');
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const st = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (st !== 'Z' && cmd.includes(needle)) out.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

export async function waitUntil(
  pred: () => boolean,
  ms = 10_000,
  what = 'condition',
): Promise<void> {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Builds the sidecar's fixture models into `cacheDir` (real weights, HF layout); returns the manifest. */
export function buildFixtures(cacheDir: string): Array<{ repo_id: string; kind: string }> {
  execFileSync(VENV_PYTHON, ['-m', 'orchard_sidecar.fixtures', 'build', '--cache', cacheDir], {
    cwd: SIDECAR_DIR,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const manifest = JSON.parse(
    fs.readFileSync(path.join(cacheDir, 'orchard-fixtures.json'), 'utf8'),
  ) as {
    fixtures: Array<{ repo_id: string; kind: string }>;
  };
  return manifest.fixtures;
}

/** Pids of live processes whose environment holds `KEY=value` (tells our sidecars from others'). */
export function pidsWithEnv(entry: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = fs.readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat[stat.lastIndexOf(')') + 2] !== 'Z' && env.includes(entry)) out.push(Number(name));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return out;
}
