// The library's inventory table: models on disk in the HF cache as last scanned or downloaded, with when each
// was added and last used (what the disk itself does not record).
import type { Database } from 'better-sqlite3';

export interface ModelRow {
  repoId: string;
  revision: string | null;
  path: string;
  sizeBytes: number | null;
  format: string;
  addedAt: number;
  lastUsedAt: number | null;
}

export interface LibraryStore {
  list(): ModelRow[];
  get(repoId: string): ModelRow | undefined;
  /** Inserts or updates a model; an existing row keeps its added_at and last_used_at. */
  upsert(m: ModelRow): void;
  touch(repoId: string, at: number): boolean;
  delete(repoId: string): boolean;
}

export function libraryStore(db: Database): LibraryStore {
  const cols = `repo_id AS repoId, revision, path, size_bytes AS sizeBytes, format,
    added_at AS addedAt, last_used_at AS lastUsedAt`;
  const list = db.prepare<[], ModelRow>(`SELECT ${cols} FROM models ORDER BY repo_id`);
  const get = db.prepare<[string], ModelRow>(`SELECT ${cols} FROM models WHERE repo_id = ?`);
  const upsert = db.prepare(
    `INSERT INTO models (repo_id, revision, path, size_bytes, format, added_at, last_used_at)
     VALUES (@repoId, @revision, @path, @sizeBytes, @format, @addedAt, @lastUsedAt)
     ON CONFLICT(repo_id) DO UPDATE SET revision = excluded.revision, path = excluded.path,
       size_bytes = excluded.size_bytes, format = excluded.format`,
  );
  const touch = db.prepare<[number, string]>(
    'UPDATE models SET last_used_at = ? WHERE repo_id = ?',
  );
  const del = db.prepare<[string]>('DELETE FROM models WHERE repo_id = ?');
  return {
    list: () => list.all(),
    get: (repoId) => get.get(repoId),
    upsert: (m) => {
      upsert.run(m);
    },
    touch: (repoId, at) => touch.run(at, repoId).changes === 1,
    delete: (repoId) => del.run(repoId).changes === 1,
  };
}
