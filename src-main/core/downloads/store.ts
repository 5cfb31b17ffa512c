// Durable state of downloads: the downloads and download_files tables, with the resume columns of migration 5
// (commit, blob names, per-range progress). Everything the manager needs to pick up after a crash.
import type { Database } from 'better-sqlite3';

export type DownloadStatus =
  'queued' | 'running' | 'paused' | 'verifying' | 'done' | 'failed' | 'cancelled';
export interface DownloadRow {
  id: string;
  repoId: string;
  revision: string;
  status: DownloadStatus;
  totalBytes: number | null;
  doneBytes: number;
  error: string | null;
  createdAt: number;
  updatedAt: number;
}
export type FileStatus = 'pending' | 'running' | 'done' | 'failed';

/** [start, end (exclusive), pos (next byte to write)] */
export type ByteRange = [number, number, number];

export interface FileState {
  path: string;
  size: number;
  sha256: string | null;
  gitOid: string;
  blob: string;
  status: FileStatus;
  doneBytes: number;
  ranges: ByteRange[] | null;
  error: string | null;
}

export interface DownloadState extends DownloadRow {
  commitSha: string | null;
}

export interface DownloadStore {
  get(id: string): DownloadState | undefined;
  list(): DownloadState[];
  /** Inserts a download with all its files in one transaction: a half-created job is never seen. */
  create(d: DownloadRow, commit: string, files: Array<Omit<FileState, 'ranges' | 'error'>>): void;
  setStatus(id: string, status: DownloadStatus, error: string | null): boolean;
  setProgress(id: string, done: number, total: number | null): boolean;
  files(id: string): FileState[];
  saveFile(id: string, f: FileState): void;
  /** Progress of several files and the download total in one transaction (one fsync-free WAL commit). */
  checkpoint(id: string, files: FileState[], done: number, total: number): void;
  deleteFiles(id: string): void;
  /** The newest unfinished download of this repo and revision, which a new pull takes over. */
  findReusable(repoId: string, revision: string): string | undefined;
  statuses(): Array<{ id: string; status: DownloadStatus }>;
  busyRepo(repoId: string): boolean;
}

export function downloadStore(db: Database): DownloadStore {
  const cols = `id, repo_id AS repoId, revision, status, total_bytes AS totalBytes, done_bytes AS doneBytes,
    error, created_at AS createdAt, updated_at AS updatedAt`;
  const list = db.prepare<[], DownloadRow>(`SELECT ${cols} FROM downloads ORDER BY created_at`);
  const get = db.prepare<[string], DownloadRow>(`SELECT ${cols} FROM downloads WHERE id = ?`);
  const insert = db.prepare(
    `INSERT INTO downloads (id, repo_id, revision, status, total_bytes, done_bytes, error, created_at, updated_at)
     VALUES (@id, @repoId, @revision, @status, @totalBytes, @doneBytes, @error, @createdAt, @updatedAt)`,
  );
  const setStatus = db.prepare(
    'UPDATE downloads SET status = @status, error = @error, updated_at = @at WHERE id = @id',
  );
  const setProgress = db.prepare(
    'UPDATE downloads SET done_bytes = @doneBytes, total_bytes = @totalBytes, updated_at = @at WHERE id = @id',
  );
  const setCommit = db.prepare<[string, string]>(
    'UPDATE downloads SET commit_sha = ? WHERE id = ?',
  );
  const getCommit = db.prepare<[string], { c: string | null }>(
    'SELECT commit_sha AS c FROM downloads WHERE id = ?',
  );
  const insertFile = db.prepare(
    `INSERT INTO download_files (download_id, path, sha256, size, done_bytes, status, blob, git_oid, ranges, error)
     VALUES (@downloadId, @path, @sha256, @size, @doneBytes, @status, @blob, @gitOid, NULL, NULL)`,
  );
  const files = db.prepare<
    [string],
    {
      path: string;
      size: number;
      sha256: string | null;
      gitOid: string;
      blob: string;
      status: FileStatus;
      doneBytes: number;
      ranges: string | null;
      error: string | null;
    }
  >(
    `SELECT path, size, sha256, git_oid AS gitOid, blob, status, done_bytes AS doneBytes, ranges, error
     FROM download_files WHERE download_id = ? ORDER BY path`,
  );
  const updateFile = db.prepare(
    `UPDATE download_files SET status = @status, done_bytes = @doneBytes, ranges = @ranges, error = @error
     WHERE download_id = @downloadId AND path = @path`,
  );
  const deleteFiles = db.prepare<[string]>('DELETE FROM download_files WHERE download_id = ?');
  const active = db.prepare<[string, string], { id: string }>(
    `SELECT id FROM downloads WHERE repo_id = ? AND revision = ? AND status IN ('queued','running','verifying','paused','failed')
     ORDER BY created_at DESC LIMIT 1`,
  );
  const byStatus = db.prepare<[], { id: string; status: DownloadStatus }>(
    'SELECT id, status FROM downloads',
  );
  const anyActiveForRepo = db.prepare<[string], { n: number }>(
    `SELECT COUNT(*) AS n FROM downloads WHERE repo_id = ? AND status IN ('queued','running','verifying')`,
  );

  const progress = (id: string, doneBytes: number, totalBytes: number | null): boolean =>
    setProgress.run({ id, doneBytes, totalBytes, at: Date.now() }).changes === 1;
  const createTx = db.transaction(
    (d: DownloadRow, commit: string, fs: Array<Omit<FileState, 'ranges' | 'error'>>) => {
      insert.run(d);
      setCommit.run(commit, d.id);
      for (const f of fs) insertFile.run({ downloadId: d.id, ...f });
    },
  );
  const checkpointTx = db.transaction(
    (id: string, fsx: FileState[], done: number, total: number) => {
      for (const f of fsx) {
        updateFile.run({
          downloadId: id,
          path: f.path,
          status: f.status,
          doneBytes: f.doneBytes,
          ranges: f.ranges ? JSON.stringify(f.ranges) : null,
          error: f.error,
        });
      }
      progress(id, done, total);
    },
  );

  const withCommit = (r: DownloadRow | undefined): DownloadState | undefined =>
    r && { ...r, commitSha: getCommit.get(r.id)?.c ?? null };

  return {
    get: (id) => withCommit(get.get(id)),
    list: () => list.all().map((r) => withCommit(r)!),
    create: (d, commit, fs) => {
      createTx(d, commit, fs);
    },
    setStatus: (id, status, error) =>
      setStatus.run({ id, status, error, at: Date.now() }).changes === 1,
    setProgress: progress,
    files: (id) =>
      files
        .all(id)
        .map((f) => ({ ...f, ranges: f.ranges ? (JSON.parse(f.ranges) as ByteRange[]) : null })),
    saveFile: (id, f) => {
      updateFile.run({
        downloadId: id,
        path: f.path,
        status: f.status,
        doneBytes: f.doneBytes,
        ranges: f.ranges ? JSON.stringify(f.ranges) : null,
        error: f.error,
      });
    },
    checkpoint: (id, fsx, done, total) => {
      checkpointTx(id, fsx, done, total);
    },
    deleteFiles: (id) => {
      deleteFiles.run(id);
    },
    findReusable: (repoId, revision) => active.get(repoId, revision)?.id,
    statuses: () => byStatus.all(),
    busyRepo: (repoId) => (anyActiveForRepo.get(repoId)?.n ?? 0) > 0,
  };
}
