// One download from start to end: blobs already cached adopted, the disk checked, the files fetched with progress
// announced and checkpointed, the snapshot built; a pause, cancel, shutdown or failure each ends it in its own status.
import fs from 'node:fs';
import { repoCache } from '../hfcache/index.ts';
import { assertDiskSpace, type FreeSpace } from './diskSpace.ts';
import type { DownloadEvents, ProgressEvent } from './events.ts';
import { fetchFile, pool, type FileFetchContext } from './fileFetch.ts';
import type { Job, JobStates } from './jobState.ts';
import {
  adoptCachedBlobs,
  buildSnapshot,
  deleteIncompletes,
  recordInstalled,
  type ModelInventory,
} from './snapshot.ts';
import type { FileState } from './store.ts';

export interface JobRunContext extends FileFetchContext {
  states: JobStates;
  events: DownloadEvents;
  inventory: ModelInventory;
  cacheDir: string;
  freeSpace: FreeSpace;
  parallelFiles: () => number;
}

export async function runJob(ctx: JobRunContext, job: Job): Promise<void> {
  const { store, states, log, tuning: o } = ctx;
  const { jobs, setState, flushWaiters } = states;
  const row = store.get(job.id)!;
  const cache = repoCache(ctx.cacheDir, row.repoId);
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
    ctx.events.progress(ev);
    if (Date.now() - lastCheckpoint >= o.checkpointMs) checkpoint();
  }, o.progressMs);
  try {
    setState(job.id, 'running', null);
    adoptCachedBlobs(cache, files);
    checkpoint(true);
    const todo = files.filter((f) => f.status !== 'done');
    const need = todo.reduce((a, f) => a + f.size - f.doneBytes, 0);
    await assertDiskSpace(ctx.freeSpace, ctx.cacheDir, row.repoId, need, o.reserve);
    fs.mkdirSync(`${cache.root}/blobs`, { recursive: true });
    job.meter.sample(
      files.reduce((a, f) => a + f.doneBytes, 0),
      Date.now(),
    );
    await pool(
      todo,
      ctx.parallelFiles(),
      (f) => fetchFile(ctx, job, row, cache, f, onBytes),
      job.ac.signal,
    );
    if (job.ac.signal.aborted) throw job.ac.signal.reason as Error;
    setState(job.id, 'verifying', null);
    // Every file is complete and verified: only now does the snapshot (and so the library entry) appear.
    buildSnapshot(cache, row, files);
    checkpoint(true);
    recordInstalled(ctx.inventory, cache, row, total);
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
