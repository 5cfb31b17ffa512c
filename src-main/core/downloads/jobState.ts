// The state machine of download jobs: the live jobs, status changes (persisted, then announced), waiters on a
// download's end, and stopping a job for pause, cancel or shutdown.
import { CoreError } from '../errors/index.ts';
import type { DownloadEvents, StateEvent } from './events.ts';
import type { DownloadStatus, DownloadStore } from './store.ts';
import { downloadView, type DownloadView, type LiveProgress } from './views.ts';

export type StopReason = 'pause' | 'cancel' | 'shutdown';

export interface Job extends LiveProgress {
  id: string;
  repoId: string;
  ac: AbortController;
  stop: StopReason | null;
  promise: Promise<void>;
}

export const TERMINAL: readonly DownloadStatus[] = ['done', 'failed', 'cancelled', 'paused'];
export const RESUME_AT_START: readonly DownloadStatus[] = ['queued', 'running', 'verifying'];

export interface JobStates {
  /** Jobs running now, by download id. */
  jobs: Map<string, Job>;
  get(id: string): DownloadView;
  setState(id: string, status: DownloadStatus, error: string | null): void;
  /** Answers everyone waiting on this download with its view now. */
  flushWaiters(id: string): void;
  wait(id: string): Promise<DownloadView>;
  /** Aborts a running job for `reason` and waits until it has stopped; false when none was running. */
  stop(id: string, reason: StopReason): Promise<boolean>;
}

export function createJobStates(store: DownloadStore, events: DownloadEvents): JobStates {
  const jobs = new Map<string, Job>();
  const waiters = new Map<string, Array<(v: DownloadView) => void>>();

  function get(id: string): DownloadView {
    const row = store.get(id);
    if (!row) throw new CoreError('not_found', `no download with id ${id}`);
    return downloadView(store, row, jobs.get(id));
  }

  function setState(id: string, status: DownloadStatus, error: string | null): void {
    store.setStatus(id, status, error);
    const row = store.get(id)!;
    events.state({ id, repoId: row.repoId, status, error } satisfies StateEvent);
    if (TERMINAL.includes(status) && !jobs.has(id)) flushWaiters(id);
  }

  function flushWaiters(id: string): void {
    const ws = waiters.get(id);
    if (!ws) return;
    waiters.delete(id);
    const v = get(id);
    for (const w of ws) w(v);
  }

  function wait(id: string): Promise<DownloadView> {
    const v = get(id);
    if (!jobs.has(id) && v.status !== 'queued') return Promise.resolve(v);
    return new Promise((resolve) => {
      const list = waiters.get(id) ?? [];
      list.push(resolve);
      waiters.set(id, list);
    });
  }

  async function stop(id: string, reason: StopReason): Promise<boolean> {
    const job = jobs.get(id);
    if (!job) return false;
    job.stop = reason;
    job.ac.abort(new CoreError('conflict', `download ${reason}`));
    await job.promise;
    return true;
  }

  return { jobs, get, setState, flushWaiters, wait, stop };
}
