// What the download manager is built from, and the tuning it derives from that: connections, chunk size, stall
// and retry timing, how often progress is announced and persisted, the disk reserve.
import type { Database } from 'better-sqlite3';
import type { Http, HubClient } from '../hub/index.ts';
import type { LogLike } from '../log/index.ts';
import type { FreeSpace } from './diskSpace.ts';
import type { ModelInventory } from './snapshot.ts';

export interface DownloadManagerOptions {
  db: Database;
  cacheDir: string;
  http: Http;
  hub: HubClient;
  /** Where a finished download is recorded: the library's inventory (its store fits). */
  inventory: ModelInventory;
  log?: LogLike;
  freeSpace?: FreeSpace;
  /** Downloads running at once; more wait as `queued` (default 2). Read whenever a slot frees. */
  concurrency?: number | (() => number);
  /** Files fetched at once per download (default 3). Read when a download starts. */
  parallelFiles?: number | (() => number);
  /** Most parallel Range connections for one large file (default 4); it starts on one, adds more while they pay. */
  connectionsPerFile?: number;
  /** Size of one range of a large file (default 32 MiB). */
  chunkBytes?: number;
  /** No byte for this long = stalled, retried (default 30 s). */
  stallMs?: number;
  maxRetries?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Progress events at most this often (never below 100 ms: at most 10/s). */
  progressIntervalMs?: number;
  /** Persist range progress at least this often... */
  checkpointMs?: number;
  /** ...and whenever this many bytes arrived since the last checkpoint (bounds re-fetch after a kill). */
  checkpointBytes?: number;
  /** Bytes to leave free on the disk beyond the download (default 0). */
  reserveBytes?: number;
}

export interface Tuning {
  connections: number;
  chunk: number;
  stallMs: number;
  maxRetries: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  progressMs: number;
  checkpointMs: number;
  checkpointBytes: number;
  reserve: number;
}

export function tuning(opts: DownloadManagerOptions): Tuning {
  return {
    connections: opts.connectionsPerFile ?? 4,
    chunk: opts.chunkBytes ?? 32 * 2 ** 20,
    stallMs: opts.stallMs ?? 30_000,
    maxRetries: opts.maxRetries ?? 8,
    backoffBaseMs: opts.backoffBaseMs ?? 1000,
    backoffMaxMs: opts.backoffMaxMs ?? 30_000,
    progressMs: Math.max(100, opts.progressIntervalMs ?? 250),
    checkpointMs: opts.checkpointMs ?? 250,
    checkpointBytes: opts.checkpointBytes ?? 4 * 2 ** 20,
    reserve: opts.reserveBytes ?? 0,
  };
}

/** A count setting, read each time it is needed (a function follows its setting); invalid values fall back. */
export const setting = (v: number | (() => number) | undefined, dflt: number) => (): number => {
  const n = typeof v === 'function' ? v() : (v ?? dflt);
  return Number.isInteger(n) && n >= 1 ? n : dflt;
};
