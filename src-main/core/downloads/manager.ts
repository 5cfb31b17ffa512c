// The download manager: background jobs in core (never tied to a UI connection), persisted in SQLite, written
// into the HF cache layout. Pause keeps partial files, cancel deletes them, a crash resumes at the next start.
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { Database } from 'better-sqlite3';
import { modelsRepo, type DownloadStatus } from '../db/index.ts';
import { CoreError } from '../errors/index.ts';
import { assertRepoId, type HubClient } from '../hub/client.ts';
import type { Http } from '../hub/http.ts';
import {
  assertSafeRelative,
  linkPointer,
  repoCache,
  sizeOf,
  writeRef,
  writeTreeCache,
  type RepoCache,
} from './cache.ts';
import { formatBytes, statfsFree, type FreeSpace } from './diskSpace.ts';
import { createMeter, type Meter } from './meter.ts';
import { fatal } from './retry.ts';
import { downloadStore, type DownloadState, type FileState } from './store.ts';
import { planRanges, rangeBytesDone, transfer } from './transfer.ts';
import { createWriterPool } from './writer.ts';

interface LogLike {
  info(msg: string, meta?: object): unknown;
  warn(msg: string, meta?: object): unknown;
  error(msg: string, meta?: object): unknown;
}

export interface DownloadManagerOptions {
  db: Database;
  cacheDir: string;
  http: Http;
  hub: HubClient;
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

export interface FileView {
  path: string;
  size: number;
  doneBytes: number;
  status: FileState['status'];
  error: string | null;
}

export interface DownloadView {
  id: string;
  repoId: string;
  revision: string;
  commitSha: string | null;
  status: DownloadStatus;
  totalBytes: number | null;
  doneBytes: number;
  error: string | null;
  speedBps: number;
  etaSeconds: number | null;
  /** Last transient problem being retried, e.g. "stalled"; null while healthy. */
  retrying: string | null;
  createdAt: number;
  updatedAt: number;
  files: FileView[];
}

export interface ProgressEvent {
  id: string;
  repoId: string;
  doneBytes: number;
  totalBytes: number;
  speedBps: number;
  etaSeconds: number | null;
  retrying: string | null;
}

export interface StateEvent {
  id: string;
  repoId: string;
  status: DownloadStatus;
  error: string | null;
}

type StopReason = 'pause' | 'cancel' | 'shutdown';

interface Job {
  id: string;
  repoId: string;
  ac: AbortController;
  stop: StopReason | null;
  files: FileState[];
  meter: Meter;
  retrying: string | null;
  promise: Promise<void>;
}

const TERMINAL: readonly DownloadStatus[] = ['done', 'failed', 'cancelled', 'paused'];
const RESUME_AT_START: readonly DownloadStatus[] = ['queued', 'running', 'verifying'];

function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

async function pool<T>(
  items: T[],
  n: number,
  fn: (t: T) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const queue = [...items];
  let failed: unknown = null;
  const worker = async (): Promise<void> => {
    for (
      let t = queue.shift();
      t !== undefined && failed === null && !signal.aborted;
      t = queue.shift()
    ) {
      try {
        await fn(t);
      } catch (e) {
        if (failed === null) failed = e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  if (failed !== null) throw failed as Error;
}

export function createDownloadManager(opts: DownloadManagerOptions) {
  const store = downloadStore(opts.db);
  const models = modelsRepo(opts.db);
  const events = new EventEmitter();
  const jobs = new Map<string, Job>();
  const waiters = new Map<string, Array<(v: DownloadView) => void>>();
  const log: LogLike = opts.log ?? { info: () => {}, warn: () => {}, error: () => {} };
  const freeSpace = opts.freeSpace ?? statfsFree;
  const setting = (v: number | (() => number) | undefined, dflt: number) => (): number => {
    const n = typeof v === 'function' ? v() : (v ?? dflt);
    return Number.isInteger(n) && n >= 1 ? n : dflt;
  };
  const concurrency = setting(opts.concurrency, 2);
  const parallelFiles = setting(opts.parallelFiles, 3);
  /** Ids waiting for a slot, oldest first. */
  const pending: string[] = [];
  /** Every job until it has fully settled (jobs drops it a little earlier), so close() can wait for all. */
  const settling = new Set<Promise<void>>();
  const writers = createWriterPool();
  const o = {
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
  let closed = false;

  function view(row: DownloadState, job?: Job): DownloadView {
    const files = job?.files ?? store.files(row.id);
    const done = job ? files.reduce((a, f) => a + f.doneBytes, 0) : row.doneBytes;
    const total = row.totalBytes ?? files.reduce((a, f) => a + f.size, 0);
    const speed = job?.meter.speed() ?? 0;
    return {
      id: row.id,
      repoId: row.repoId,
      revision: row.revision,
      commitSha: row.commitSha,
      status: row.status,
      totalBytes: total,
      doneBytes: done,
      error: row.error,
      speedBps: Math.round(speed),
      etaSeconds: job ? job.meter.eta(total - done) : null,
      retrying: job?.retrying ?? null,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      files: files.map((f) => ({
        path: f.path,
        size: f.size,
        doneBytes: f.doneBytes,
        status: f.status,
        error: f.error,
      })),
    };
  }

  function get(id: string): DownloadView {
    const row = store.get(id);
    if (!row) throw new CoreError('not_found', `no download with id ${id}`);
    return view(row, jobs.get(id));
  }

  function setState(id: string, status: DownloadStatus, error: string | null): void {
    store.setStatus(id, status, error);
    const row = store.get(id)!;
    events.emit('state', { id, repoId: row.repoId, status, error } satisfies StateEvent);
    if (TERMINAL.includes(status) && !jobs.has(id)) flushWaiters(id);
  }

  function flushWaiters(id: string): void {
    const ws = waiters.get(id);
    if (!ws) return;
    waiters.delete(id);
    const v = get(id);
    for (const w of ws) w(v);
  }

  function deleteIncompletes(cache: RepoCache, files: FileState[]): void {
    for (const f of files)
      if (f.status !== 'done') fs.rmSync(cache.incomplete(f.blob), { force: true });
  }

  async function fetchFile(
    job: Job,
    row: DownloadState,
    cache: RepoCache,
    f: FileState,
    onBytes: (f: FileState, n: number) => void,
  ): Promise<void> {
    const commit = row.commitSha!;
    const inc = cache.incomplete(f.blob);
    const url = `${opts.http.hubUrl}/${row.repoId}/resolve/${commit}/${encodePath(f.path)}`;
    let mismatches = 0;
    for (;;) {
      const onDisk = sizeOf(inc);
      if (onDisk !== null && onDisk > f.size) fs.rmSync(inc);
      if (!f.ranges || onDisk === null || onDisk > f.size) {
        // A partial without recorded ranges (another client's, or a lost database) is taken as a contiguous
        // prefix, as huggingface_hub does; the hash check below catches anything else.
        const prefix = !f.ranges && onDisk !== null && onDisk <= f.size ? onDisk : 0;
        f.ranges = planRanges(f.size, o.chunk, prefix);
        f.doneBytes = rangeBytesDone(f.ranges);
      }
      f.status = 'running';
      f.error = null;
      store.saveFile(job.id, f);
      const sink = writers.open(inc, f.size, f.ranges, { sha256: f.sha256, gitOid: f.gitOid });
      let bad;
      try {
        await transfer({
          http: opts.http,
          url,
          name: f.path,
          size: f.size,
          ranges: f.ranges,
          sink,
          signal: job.ac.signal,
          opts: {
            connections: f.size > o.chunk ? o.connections : 1,
            stallMs: o.stallMs,
            maxRetries: o.maxRetries,
            backoffBaseMs: o.backoffBaseMs,
            backoffMaxMs: o.backoffMaxMs,
          },
          onBytes: (n) => {
            f.doneBytes += n;
            job.retrying = null;
            onBytes(f, n);
          },
          onRetry: ({ attempt, error, delayMs }) => {
            job.retrying = error;
            log.warn('download retry', { id: job.id, file: f.path, attempt, error, delayMs });
          },
        });
        bad = await sink.finish(job.ac.signal);
      } finally {
        sink.close();
      }
      if (!bad) {
        fs.renameSync(inc, cache.blob(f.blob));
        f.status = 'done';
        f.ranges = null;
        f.doneBytes = f.size;
        store.saveFile(job.id, f);
        return;
      }
      fs.rmSync(inc, { force: true });
      f.ranges = null;
      f.doneBytes = 0;
      mismatches++;
      const what = `${f.path}: ${bad.kind} mismatch (expected ${bad.expected}, got ${bad.actual})`;
      if (mismatches >= 2) {
        f.status = 'failed';
        f.error = `${what} again after a fresh download; the file was deleted`;
        store.saveFile(job.id, f);
        throw fatal('internal', f.error, { integrity: true });
      }
      log.warn('download integrity mismatch, fetching again', {
        id: job.id,
        file: f.path,
        expected: bad.expected,
        actual: bad.actual,
      });
    }
  }

  async function execute(job: Job): Promise<void> {
    const row = store.get(job.id)!;
    const cache = repoCache(opts.cacheDir, row.repoId);
    const files = job.files;
    const total = files.reduce((a, f) => a + f.size, 0);
    let sinceCheckpoint = 0;
    let lastCheckpoint = Date.now();
    /** Files whose progress moved since the last checkpoint: only their rows are written (a repo has hundreds). */
    const dirty = new Set<FileState>();
    const checkpoint = (all = false): void => {
      sinceCheckpoint = 0;
      lastCheckpoint = Date.now();
      store.checkpoint(
        job.id,
        all ? files : [...dirty],
        files.reduce((a, f) => a + f.doneBytes, 0),
        total,
      );
      dirty.clear();
    };
    const onBytes = (f: FileState, n: number): void => {
      dirty.add(f);
      sinceCheckpoint += n;
      if (sinceCheckpoint >= o.checkpointBytes || Date.now() - lastCheckpoint >= o.checkpointMs)
        checkpoint();
    };
    const ticker = setInterval(() => {
      const done = files.reduce((a, f) => a + f.doneBytes, 0);
      const speed = job.meter.sample(done, Date.now());
      const ev: ProgressEvent = {
        id: job.id,
        repoId: job.repoId,
        doneBytes: done,
        totalBytes: total,
        speedBps: Math.round(speed),
        etaSeconds: job.meter.eta(total - done),
        retrying: job.retrying,
      };
      events.emit('progress', ev);
      if (Date.now() - lastCheckpoint >= o.checkpointMs) checkpoint();
    }, o.progressMs);
    try {
      setState(job.id, 'running', null);
      // Blobs already in the cache (ours, mlx-lm's, the hf CLI's) are used as they are: nothing is fetched again.
      for (const f of files) {
        if (f.status !== 'done' && sizeOf(cache.blob(f.blob)) === f.size) {
          f.status = 'done';
          f.doneBytes = f.size;
          f.ranges = null;
          fs.rmSync(cache.incomplete(f.blob), { force: true });
        }
      }
      checkpoint(true);
      const todo = files.filter((f) => f.status !== 'done');
      const need = todo.reduce((a, f) => a + f.size - f.doneBytes, 0);
      if (need > 0) {
        const free = await freeSpace(opts.cacheDir);
        if (free - o.reserve < need) {
          throw fatal(
            'conflict',
            `not enough disk space for ${row.repoId}: needs ${formatBytes(need)} more, ${formatBytes(free)} free in ${opts.cacheDir}`,
            { diskFull: true, neededBytes: need, freeBytes: free },
          );
        }
      }
      fs.mkdirSync(`${cache.root}/blobs`, { recursive: true });
      job.meter.sample(
        files.reduce((a, f) => a + f.doneBytes, 0),
        Date.now(),
      );
      await pool(
        todo,
        parallelFiles(),
        (f) => fetchFile(job, row, cache, f, onBytes),
        job.ac.signal,
      );
      if (job.ac.signal.aborted) throw job.ac.signal.reason as Error;
      setState(job.id, 'verifying', null);
      // Every file is complete and verified: only now does the snapshot (and so the library entry) appear.
      const commit = row.commitSha!;
      for (const f of files) linkPointer(cache, commit, f.path, f.blob);
      writeTreeCache(
        cache,
        commit,
        files.map((f) => ({ path: f.path, size: f.size, oid: f.gitOid, lfsSha256: f.sha256 })),
      );
      if (row.revision !== commit) writeRef(cache, row.revision, commit);
      checkpoint(true);
      const prev = models.get(row.repoId);
      models.upsert({
        repoId: row.repoId,
        revision: commit,
        path: cache.snapshot(commit),
        sizeBytes: total,
        format: 'mlx',
        addedAt: prev?.addedAt ?? Date.now(),
        lastUsedAt: prev?.lastUsedAt ?? null,
      });
      jobs.delete(job.id);
      setState(job.id, 'done', null);
      log.info('download done', { id: job.id, repo: row.repoId, bytes: total });
    } catch (e) {
      checkpoint(true);
      jobs.delete(job.id);
      if (job.stop === 'pause') setState(job.id, 'paused', null);
      else if (job.stop === 'cancel') {
        deleteIncompletes(cache, files);
        store.deleteFiles(job.id);
        setState(job.id, 'cancelled', null);
      } else if (job.stop === 'shutdown') {
        // Left as it was (running): the next start resumes it, exactly as after a crash.
        flushWaiters(job.id);
      } else {
        const msg = e instanceof Error ? e.message : String(e);
        log.error('download failed', { id: job.id, repo: row.repoId, error: msg });
        setState(job.id, 'failed', msg);
      }
    } finally {
      clearInterval(ticker);
      jobs.delete(job.id);
      flushWaiters(job.id);
    }
  }

  /** Queues a download; it runs as soon as fewer than `concurrency` downloads are running. */
  function launch(id: string): void {
    if (jobs.has(id) || closed || pending.includes(id)) return;
    pending.push(id);
    pump();
  }

  function unqueue(id: string): boolean {
    const i = pending.indexOf(id);
    if (i >= 0) pending.splice(i, 1);
    return i >= 0;
  }

  function pump(): void {
    while (!closed && jobs.size < concurrency() && pending.length > 0) {
      const id = pending.shift()!;
      const row = store.get(id);
      if (row && RESUME_AT_START.includes(row.status)) run(id);
    }
  }

  function run(id: string): void {
    const row = store.get(id)!;
    const job: Job = {
      id,
      repoId: row.repoId,
      ac: new AbortController(),
      stop: null,
      files: store.files(id),
      meter: createMeter(),
      retrying: null,
      promise: Promise.resolve(),
    };
    jobs.set(id, job);
    job.promise = execute(job).finally(pump);
    settling.add(job.promise);
    void job.promise.finally(() => settling.delete(job.promise));
  }

  async function stopJob(id: string, reason: StopReason): Promise<boolean> {
    const job = jobs.get(id);
    if (!job) return false;
    job.stop = reason;
    job.ac.abort(new CoreError('conflict', `download ${reason}`));
    await job.promise;
    return true;
  }

  return {
    events,
    on(event: 'progress' | 'state', fn: (e: ProgressEvent & StateEvent) => void) {
      events.on(event, fn);
      return () => events.off(event, fn);
    },

    /** Resumes every download a crash or kill interrupted; paused and failed ones stay as they are. */
    start(): string[] {
      const ids = store
        .statuses()
        .filter((r) => RESUME_AT_START.includes(r.status))
        .map((r) => r.id);
      for (const id of ids) launch(id);
      return ids;
    },

    async pull(repoId: string, p: { revision?: string } = {}): Promise<DownloadView> {
      assertRepoId(repoId);
      const revision = p.revision ?? 'main';
      if (!/^[\w./-]{1,200}$/.test(revision) || revision.includes('..')) {
        throw new CoreError('validation', `not a valid revision: "${revision}"`);
      }
      const existing = store.findReusable(repoId, revision);
      if (existing) {
        const row = store.get(existing)!;
        if (row.status === 'paused' || row.status === 'failed') await this.resume(existing);
        // Interrupted by a crash of another process (status still running): this process takes it over.
        else if (!jobs.has(existing) && RESUME_AT_START.includes(row.status)) launch(existing);
        return get(existing);
      }
      // The writer's start-up overlaps the metadata requests.
      writers.warm();
      const info = await opts.hub.info(repoId, revision);
      if (info.gated !== false && !opts.http.token()) {
        throw new CoreError(
          'unauthorized',
          `${repoId} is a gated model: accept its terms on the Hub, then set a Hugging Face token (settings or HF_TOKEN)`,
        );
      }
      const tree = await opts.hub.tree(repoId, info.sha);
      for (const f of tree) {
        try {
          assertSafeRelative(f.path);
        } catch (e) {
          throw new CoreError('validation', `${repoId}: ${(e as Error).message}`);
        }
      }
      const id = crypto.randomUUID();
      const now = Date.now();
      const total = tree.reduce((a, f) => a + f.size, 0);
      store.create(
        {
          id,
          repoId,
          revision,
          status: 'queued',
          totalBytes: total,
          doneBytes: 0,
          error: null,
          createdAt: now,
          updatedAt: now,
        },
        info.sha,
        tree.map((f) => ({
          path: f.path,
          size: f.size,
          sha256: f.lfsSha256,
          gitOid: f.oid,
          blob: f.lfsSha256 ?? f.oid,
          status: 'pending' as const,
          doneBytes: 0,
        })),
      );
      log.info('download queued', {
        id,
        repo: repoId,
        revision,
        commit: info.sha,
        bytes: total,
        files: tree.length,
      });
      events.emit('state', { id, repoId, status: 'queued', error: null } satisfies StateEvent);
      launch(id);
      return get(id);
    },

    async pause(id: string): Promise<DownloadView> {
      const row = store.get(id);
      if (!row) throw new CoreError('not_found', `no download with id ${id}`);
      unqueue(id);
      if (!(await stopJob(id, 'pause'))) {
        if (row.status === 'queued' || row.status === 'running' || row.status === 'verifying')
          setState(id, 'paused', null);
        else if (row.status !== 'paused')
          throw new CoreError('conflict', `download ${id} is ${row.status}; it cannot be paused`);
      }
      return get(id);
    },

    async resume(id: string): Promise<DownloadView> {
      const row = store.get(id);
      if (!row) throw new CoreError('not_found', `no download with id ${id}`);
      if (jobs.has(id)) return get(id);
      if (row.status === 'done' || row.status === 'cancelled') {
        throw new CoreError(
          'conflict',
          `download ${id} is ${row.status}; start a new pull instead`,
        );
      }
      setState(id, 'queued', null);
      launch(id);
      return get(id);
    },

    async cancel(id: string): Promise<DownloadView> {
      const row = store.get(id);
      if (!row) throw new CoreError('not_found', `no download with id ${id}`);
      if (row.status === 'done' || row.status === 'cancelled') {
        throw new CoreError(
          'conflict',
          `download ${id} is ${row.status}; delete the model from the library instead`,
        );
      }
      unqueue(id);
      if (!(await stopJob(id, 'cancel'))) {
        deleteIncompletes(repoCache(opts.cacheDir, row.repoId), store.files(id));
        store.deleteFiles(id);
        setState(id, 'cancelled', null);
      }
      return get(id);
    },

    list(): DownloadView[] {
      return store.list().map((r) => view(r, jobs.get(r.id)));
    },

    get,

    /** Resolves when the download stops running (done, failed, paused, cancelled, or the manager closes). */
    wait(id: string): Promise<DownloadView> {
      const v = get(id);
      if (!jobs.has(id) && v.status !== 'queued') return Promise.resolve(v);
      return new Promise((resolve) => {
        const list = waiters.get(id) ?? [];
        list.push(resolve);
        waiters.set(id, list);
      });
    },

    /** True while a download of this repo is queued or running (the library refuses to delete it then). */
    busy(repoId: string): boolean {
      return store.busyRepo(repoId);
    },

    /** Stops every job without changing its status, so the next start resumes it. */
    async close(): Promise<void> {
      closed = true;
      pending.length = 0;
      await Promise.all([...jobs.keys()].map((id) => stopJob(id, 'shutdown')));
      await Promise.all([...settling]);
      await writers.close();
    },
  };
}
export type DownloadManager = ReturnType<typeof createDownloadManager>;
