// Test support for the gateway's integration tests: fixture models, the real sidecar under the real
// supervisor, mlx_lm.server as an outside provider, and a gateway on a real loopback HTTP server.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createRepos, type Repos } from '../../src-main/core/app/stores.ts';
import { aesCipher, openDatabase, type Database } from '../../src-main/core/db/index.ts';
import {
  createSupervisor,
  sidecarAdmin,
  type Supervisor,
} from '../../src-main/core/sidecar/index.ts';
import { memoryLogger, SIDECAR_DIR, VENV_PYTHON } from '../sidecar/kit.ts';
import crypto from 'node:crypto';
import {
  createGateway,
  sidecarModelLister,
  type Gateway,
  type GatewayDeps,
  type LocalBackend,
} from '../../src-main/core/gateway/index.ts';

export interface Fixture {
  repo_id: string;
  kind: string;
  path: string;
  content?: string;
  reasoning?: string;
  tool_calls?: Array<{ name: string; arguments: Record<string, unknown> }>;
  tools?: Array<Record<string, unknown>>;
}

export function buildFixtures(cacheDir: string): Fixture[] {
  const r = spawnSync(
    VENV_PYTHON,
    ['-m', 'orchard_sidecar.fixtures', 'build', '--cache', cacheDir],
    { cwd: SIDECAR_DIR, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`fixture build failed: ${r.stderr}`);
  const manifest = JSON.parse(
    fs.readFileSync(path.join(cacheDir, 'orchard-fixtures.json'), 'utf8'),
  ) as { fixtures: Fixture[] };
  return manifest.fixtures;
}

export function fixture(all: Fixture[], kind: string): Fixture {
  const f = all.find((x) => x.kind === kind);
  if (!f) throw new Error(`no fixture of kind ${kind}`);
  return f;
}

export async function startSidecar(
  cacheDir: string,
  workDir: string,
  extraArgs: string[] = [],
): Promise<Supervisor> {
  const { log } = memoryLogger();
  const sup = createSupervisor({
    python: VENV_PYTHON,
    args: ['-m', 'orchard_sidecar', '--host', '127.0.0.1', '--port', '0', ...extraArgs],
    cwd: SIDECAR_DIR,
    hfHubCache: cacheDir,
    pidFile: path.join(workDir, `sidecar-${crypto.randomBytes(4).toString('hex')}.pid`),
    log,
    backoffBaseMs: 200,
    // Tests kill the sidecar on purpose several times; that is not a crash loop.
    crashLimit: 20,
  });
  await sup.start();
  return sup;
}

export interface MlxServer {
  url: string;
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export async function startMlxServer(modelPath: string, port = 0): Promise<MlxServer> {
  if (port === 0) {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
  }
  const proc = spawn(
    VENV_PYTHON,
    ['-m', 'mlx_lm.server', '--model', modelPath, '--port', String(port), '--host', '127.0.0.1'],
    {
      stdio: ['ignore', 'ignore', 'ignore'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 120_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error('mlx_lm.server exited during start-up');
    try {
      if ((await fetch(`${url}/v1/models`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) {
      proc.kill('SIGKILL');
      throw new Error('mlx_lm.server did not start');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    port,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      }),
  };
}

export interface GatewayServer {
  url: string;
  gateway: Gateway;
  db: Database;
  repos: Repos;
  dbFile: string;
  /** What the gateway logged, one object per line. */
  logLines: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** The gateway's real handler on a real loopback server, over a real database file. */
export async function startGateway(opts: {
  dir: string;
  local: LocalBackend;
  localModels?: GatewayDeps['localModels'];
  settings?: Record<string, unknown>;
  host?: string;
  now?: () => number;
  isInternalToken?: GatewayDeps['isInternalToken'];
  /** Model metadata for listings; by default the sidecar's own when `local` is a supervisor. */
  adminModels?: GatewayDeps['adminModels'];
  pingIntervalMs?: number;
}): Promise<GatewayServer> {
  const dbFile = path.join(opts.dir, `gw-${crypto.randomBytes(4).toString('hex')}.db`);
  const db = openDatabase(dbFile);
  const repos = createRepos(db, aesCipher(crypto.randomBytes(32)));
  for (const [k, v] of Object.entries(opts.settings ?? {})) repos.settings.set(k, v);
  const { log, lines: logLines } = memoryLogger();
  const gateway = createGateway({
    db,
    repos,
    local: opts.local,
    localModels: opts.localModels ?? sidecarModelLister(opts.local),
    ...(opts.adminModels || 'json' in opts.local
      ? {
          adminModels:
            opts.adminModels ??
            (async () => (await sidecarAdmin(opts.local as Supervisor).models()).data),
        }
      : {}),
    log,
    ...(opts.pingIntervalMs ? { pingIntervalMs: opts.pingIntervalMs } : {}),
    host: opts.host ?? '127.0.0.1',
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.isInternalToken ? { isInternalToken: opts.isInternalToken } : {}),
  });
  const server = http.createServer((req, res) => {
    gateway.handle(req, res).then(
      (handled) => {
        if (!handled) res.writeHead(404).end();
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    gateway,
    db,
    repos,
    dbFile,
    logLines,
    close: async () => {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      gateway.close();
      db.close();
    },
  };
}

/** A local backend with nothing behind it (the sidecar is down). */
export const NO_SIDECAR: LocalBackend = {
  request: () => Promise.reject(new Error('the inference sidecar is stopped')),
};
