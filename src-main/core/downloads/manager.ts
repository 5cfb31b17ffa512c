// The download manager: background jobs in core (never tied to a UI connection), persisted in SQLite, written
// into the HF cache layout. Pause keeps partial files, cancel deletes them, a crash resumes at the next start.
import crypto from 'node:crypto';
import { CoreError } from '../errors/index.ts';
import { assertRepoId, assertRevision, repoCache } from '../hfcache/index.ts';
import type { LogLike } from '../log/index.ts';
import { statfsFree } from './diskSpace.ts';
import { createDownloadEvents, type DownloadListener, type StateEvent } from './events.ts';
import { createJobStates, RESUME_AT_START } from './jobState.ts';
import { setting, tuning, type DownloadManagerOptions } from './options.ts';
import { runJob, type JobRunContext } from './runJob.ts';
import { createScheduler } from './scheduler.ts';
import { deleteIncompletes } from './snapshot.ts';
import { downloadStore } from './store.ts';
import { downloadView, type DownloadView } from './views.ts';
import { createWriterPool } from './writer.ts';

export interface DownloadManager {
  on(event: 'progress' | 'state', fn: DownloadListener): () => void;
  /** Resumes every download a crash or kill interrupted; paused and failed ones stay as they are. */
  start(): string[];
  pull(repoId: string, p?: { revision?: string }): Promise<DownloadView>;
  pause(id: string): Promise<DownloadView>;
  resume(id: string): Promise<DownloadView>;
  cancel(id: string): Promise<DownloadView>;
  list(): DownloadView[];
  get(id: string): DownloadView;
  /** Resolves when the download stops running (done, failed, paused, cancelled, or the manager closes). */
  wait(id: string): Promise<DownloadView>;
  /** True while a download of this repo is queued or running (the library refuses to delete it then). */
  busy(repoId: string): boolean;
  /** Stops every job without changing its status, so the next start resumes it. */
  close(): Promise<void>;
}

export function createDownloadManager(opts: DownloadManagerOptions): DownloadManager {
  const store = downloadStore(opts.db);
  const events = createDownloadEvents();
  const states = createJobStates(store, events);
  const { jobs, get, setState } = states;
  const log: LogLike = opts.log ?? { info: () => {}, warn: () => {}, error: () => {} };
  const writers = createWriterPool();
  const ctx: JobRunContext = {
    http: opts.http,
    store,
    writers,
    log,
    tuning: tuning(opts),
    states,
    events,
    inventory: opts.inventory,
    cacheDir: opts.cacheDir,
    freeSpace: opts.freeSpace ?? statfsFree,
    parallelFiles: setting(opts.parallelFiles, 3),
  };
  const scheduler = createScheduler({
    store,
    states,
    concurrency: setting(opts.concurrency, 2),
    execute: (job) => runJob(ctx, job),
  });
  const { launch, unqueue } = scheduler;

  return {
    on: events.on,

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
      assertRevision(revision);
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
      // The hub client has checked the commit, paths and blob ids by shape; the layout checks every path again.
      const tree = await opts.hub.tree(repoId, info.sha);
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
      events.state({ id, repoId, status: 'queued', error: null } satisfies StateEvent);
      launch(id);
      return get(id);
    },

    async pause(id: string): Promise<DownloadView> {
      const row = store.get(id);
      if (!row) throw new CoreError('not_found', `no download with id ${id}`);
      unqueue(id);
      if (!(await states.stop(id, 'pause'))) {
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
      if (!(await states.stop(id, 'cancel'))) {
        deleteIncompletes(repoCache(opts.cacheDir, row.repoId), store.files(id));
        store.deleteFiles(id);
        setState(id, 'cancelled', null);
      }
      return get(id);
    },

    list(): DownloadView[] {
      return store.list().map((r) => downloadView(store, r, jobs.get(r.id)));
    },

    get,

    wait: states.wait,

    busy(repoId: string): boolean {
      return store.busyRepo(repoId);
    },

    async close(): Promise<void> {
      await scheduler.close();
      await writers.close();
    },
  };
}
