// The view of a download that RPC and the CLI show: its row, with live bytes, speed, ETA and retry state while a
// job runs it, and the row's persisted progress otherwise.
import type { Meter } from './meter.ts';
import type { DownloadState, DownloadStatus, DownloadStore, FileState } from './store.ts';

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

/** What a running job knows beyond the database. */
export interface LiveProgress {
  files: FileState[];
  meter: Meter;
  retrying: string | null;
}

export function downloadView(
  store: Pick<DownloadStore, 'files'>,
  row: DownloadState,
  job?: LiveProgress,
): DownloadView {
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
