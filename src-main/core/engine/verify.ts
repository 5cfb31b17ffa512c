// Proves an engine works before Orchard switches to it (its imports, the MLX device, the sidecar
// answering /health), and checks a ready one cheaply at every start against the list of its files.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { EngineVersions } from '#shared/contract/engine.ts';
import { CoreError } from '../errors/index.ts';
import { runTool } from './proc.ts';

const PROBE = `
import json, sys
import importlib.metadata as md
import mlx.core as mx
import mlx_lm, fastapi, uvicorn, pydantic, tokenizers, llguidance, gguf
import orchard_sidecar.app
a = mx.array([1.0, 2.0, 3.0])
assert float((a * a).sum()) == 14.0
print(json.dumps({"python": sys.version.split()[0], "device": str(mx.default_device()),
                  "mlx": md.version("mlx"), "mlxLm": md.version("mlx-lm"),
                  "sidecar": md.version("orchard-sidecar")}))
`;

/** Imports everything the sidecar needs and computes on the MLX device; returns the versions found. */
export async function probeEngine(python: string, cwd: string): Promise<EngineVersions> {
  const out = await runTool(python, ['-c', PROBE], {
    cwd,
    env: { ...process.env, PYTHONNOUSERSITE: '1' },
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as EngineVersions;
}

/** Starts the sidecar from the engine, waits for its ready line and a 200 from /health, stops it. */
export async function sidecarAnswersHealth(
  python: string,
  cwd: string,
  timeoutMs = 90_000,
): Promise<void> {
  const hub = fs.mkdtempSync(path.join(cwd, '.health-hub-'));
  const child = spawn(python, ['-m', 'orchard_sidecar', '--host', '127.0.0.1', '--port', '0'], {
    cwd,
    env: {
      ...process.env,
      PYTHONNOUSERSITE: '1',
      HF_HUB_CACHE: hub,
      ORCHARD_SIDECAR_SECRET: crypto.randomBytes(16).toString('hex'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  readline.createInterface({ input: child.stderr }).on('line', (l) => {
    tail.push(l);
    if (tail.length > 10) tail.shift();
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ready line in ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      readline.createInterface({ input: child.stdout }).on('line', (l) => {
        try {
          const rec = JSON.parse(l) as { event?: string; port?: number };
          if (rec.event === 'ready' && typeof rec.port === 'number') {
            clearTimeout(timer);
            resolve(rec.port);
          }
        } catch {
          // not one of the sidecar's JSON lines
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the sidecar exited with code ${code}`));
      });
    });
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    if (res.status !== 200) throw new Error(`/health answered ${res.status}`);
  } catch (e) {
    throw new CoreError(
      'internal',
      `the engine's sidecar did not answer /health: ${(e as Error).message} ${tail.slice(-5).join(' | ')}`,
    );
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    fs.rmSync(hub, { recursive: true, force: true });
  }
}

export type Manifest = Array<[string, number]>;

/** Every installed file (path relative to the engine, size), bytecode caches left out. */
export function listFiles(dir: string): Manifest {
  const out: Manifest = [];
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || e.parentPath.includes('__pycache__')) continue;
    const full = path.join(e.parentPath, e.name);
    const rel = path.relative(dir, full);
    if (rel.startsWith('.health-hub-') || !/^(lib|Lib)[\\/]/.test(rel)) continue;
    out.push([rel, fs.statSync(full).size]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** The first file of the manifest that is gone or changed size, or null when all are there. */
export function firstDamage(dir: string, manifest: Manifest): string | null {
  for (const [rel, size] of manifest) {
    let st: fs.Stats;
    try {
      st = fs.statSync(path.join(dir, rel));
    } catch {
      return `${rel} is missing`;
    }
    if (st.size !== size) return `${rel} has changed`;
  }
  return null;
}
