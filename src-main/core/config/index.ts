// The one config loader: resolves folders, ports and the sidecar command from the environment.
// Everything else receives a Config object instead of reading process.env itself.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreError } from '../errors/index.ts';
import { dataFolder, hfHubCache } from './paths.ts';

export { dataFolder, hfHubCache } from './paths.ts';
export { ensurePrivateDir, ensurePrivateFile, PRIVATE_FILE_MODE } from './privateFiles.ts';

/** Ports other local model servers use by default; Orchard must not take them. */
export const RESERVED_PORTS = [1234, 8000, 8080, 11434] as const;
export const DEFAULT_PORT = 8765;

export interface Config {
  repoRoot: string;
  dataDir: string;
  logDir: string;
  dbPath: string;
  /** Written by `serve` (port + token) so other CLI commands can find it. */
  serveFile: string;
  sidecarPidFile: string;
  secretKeyFile: string;
  port: number;
  /** Address of the HTTP server (ORCHARD_HOST); anything but loopback requires API keys. */
  host?: string;
  /**
   * Which of host and port the environment set. The others are defaults that the saved settings
   * `server.host`/`server.port` replace at start (see settings' serverAddress); absent: both were set.
   */
  addressFromEnv?: { host: boolean; port: boolean };
  hfHubCache: string;
  sidecar: { python: string; cwd: string };
  rendererDir: string;
  /** better-sqlite3 addon built for this runtime's ABI (ORCHARD_SQLITE_BINDING; Electron in development). */
  sqliteBinding?: string;
  /**
   * Which Python runs the sidecar: a checkout's .venv (`venv`), or the engine Orchard installs under
   * ORCHARD_HOME/engine (`managed`: the packaged app, or ORCHARD_ENGINE=managed in a checkout).
   */
  engine?: {
    mode: 'venv' | 'managed';
    /** The packaged app's resources/engine (uv, sidecar wheel, lock); absent in a checkout. */
    resourcesDir?: string;
    /** ORCHARD_UV_CACHE: uv's cache (default ORCHARD_HOME/engine/cache). */
    uvCacheDir?: string;
    /** ORCHARD_PYTHON: the Python to make the engine from, instead of uv's search. */
    python?: string;
  };
}

export const REPO_ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
);

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new CoreError('usage', `ORCHARD_PORT must be an integer 0-65535, got "${raw}"`);
  }
  if ((RESERVED_PORTS as readonly number[]).includes(n)) {
    throw new CoreError('usage', `ORCHARD_PORT ${n} is used by other model servers; pick another`);
  }
  return n;
}

function engineMode(env: NodeJS.ProcessEnv): NonNullable<Config['engine']> {
  const raw = env.ORCHARD_ENGINE ?? '';
  if (raw !== '' && raw !== 'managed' && raw !== 'venv') {
    throw new CoreError('usage', `ORCHARD_ENGINE must be "managed" or "venv", got "${raw}"`);
  }
  return {
    mode: raw === 'managed' ? 'managed' : 'venv',
    uvCacheDir: env.ORCHARD_UV_CACHE || undefined,
    python: env.ORCHARD_PYTHON || undefined,
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const home = os.homedir();
  const dataDir = dataFolder(env, process.platform, home);
  const sidecarDir = path.join(REPO_ROOT, 'inference-sidecar');
  const venvPython =
    process.platform === 'win32'
      ? path.join(sidecarDir, '.venv', 'Scripts', 'python.exe')
      : path.join(sidecarDir, '.venv', 'bin', 'python');
  return {
    repoRoot: REPO_ROOT,
    dataDir,
    logDir: path.join(dataDir, 'logs'),
    dbPath: path.join(dataDir, 'orchard.db'),
    serveFile: path.join(dataDir, 'serve.json'),
    sidecarPidFile: path.join(dataDir, 'sidecar.pid'),
    secretKeyFile: path.join(dataDir, 'secret.key'),
    port: parsePort(env.ORCHARD_PORT),
    host: env.ORCHARD_HOST || '127.0.0.1',
    addressFromEnv: { host: !!env.ORCHARD_HOST, port: !!env.ORCHARD_PORT },
    hfHubCache: hfHubCache(env, home),
    sidecar: { python: env.ORCHARD_SIDECAR_PYTHON || venvPython, cwd: sidecarDir },
    rendererDir: path.join(REPO_ROOT, 'out', 'renderer'),
    sqliteBinding: env.ORCHARD_SQLITE_BINDING || undefined,
    engine: engineMode(env),
  };
}
