// Fetches the files of a download, a few at a time: each into its .incomplete blob (resuming recorded ranges),
// verified against its hashes, renamed into place; a hash mismatch is fetched once more from scratch.
import fs from 'node:fs';
import { sizeOf, type RepoCache } from '../hfcache/index.ts';
import type { Http } from '../hub/index.ts';
import type { LogLike } from '../log/index.ts';
import type { Job } from './jobState.ts';
import type { Tuning } from './options.ts';
import { planRanges, rangeBytesDone, transfer } from './rangeFetch.ts';
import { fatal } from './retry.ts';
import type { DownloadState, DownloadStore, FileState } from './store.ts';
import type { WriterPool } from './writer.ts';

export interface FileFetchContext {
  http: Http;
  store: DownloadStore;
  writers: WriterPool;
  log: LogLike;
  tuning: Tuning;
}

function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

/** Runs `fn` over `items` with at most `n` at once; the first failure stops new starts and is rethrown. */
export async function pool<T>(
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

export async function fetchFile(
  ctx: FileFetchContext,
  job: Pick<Job, 'id' | 'ac' | 'retrying'>,
  row: DownloadState,
  cache: RepoCache,
  f: FileState,
  onBytes: (f: FileState, n: number) => void,
): Promise<void> {
  const { store, log, tuning: o } = ctx;
  const commit = row.commitSha!;
  const inc = cache.incomplete(f.blob);
  const url = `${ctx.http.hubUrl}/${row.repoId}/resolve/${commit}/${encodePath(f.path)}`;
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
    const sink = ctx.writers.open(inc, f.size, f.ranges, { sha256: f.sha256, gitOid: f.gitOid });
    let bad;
    try {
      await transfer({
        http: ctx.http,
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
