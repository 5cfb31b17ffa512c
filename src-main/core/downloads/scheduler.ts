// The queue of downloads waiting for a slot: at most `concurrency` run at once and the oldest waiting starts when
// one frees. Every job is tracked until it has fully settled, so closing can wait for all of them.
import { RESUME_AT_START, type Job, type JobStates } from './jobState.ts';
import { createMeter } from './meter.ts';
import type { DownloadStore } from './store.ts';

export interface Scheduler {
  /** Queues a download; it runs as soon as fewer than `concurrency` downloads are running. */
  launch(id: string): void;
  /** Takes a download out of the queue; false when it was not waiting there. */
  unqueue(id: string): boolean;
  /** Starts nothing more and stops every job without changing its status, so the next start resumes it. */
  close(): Promise<void>;
}

export function createScheduler(d: {
  store: DownloadStore;
  states: JobStates;
  concurrency: () => number;
  execute: (job: Job) => Promise<void>;
}): Scheduler {
  const { store, states } = d;
  const { jobs } = states;
  /** Ids waiting for a slot, oldest first. */
  const pending: string[] = [];
  /** Every job until it has fully settled (jobs drops it a little earlier), so close() can wait for all. */
  const settling = new Set<Promise<void>>();
  let closed = false;

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
    while (!closed && jobs.size < d.concurrency() && pending.length > 0) {
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
    job.promise = d.execute(job).finally(pump);
    settling.add(job.promise);
    void job.promise.finally(() => settling.delete(job.promise));
  }

  async function close(): Promise<void> {
    closed = true;
    pending.length = 0;
    await Promise.all([...jobs.keys()].map((id) => states.stop(id, 'shutdown')));
    await Promise.all([...settling]);
  }

  return { launch, unqueue, close };
}
