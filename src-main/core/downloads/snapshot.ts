// What a download puts into the HF cache beyond its blobs: blobs already there adopted as they are, the snapshot
// (links, tree listing, ref) built once every file is verified, the model recorded in the library's inventory,
// and partial blobs removed when a download is cancelled.
import fs from 'node:fs';
import { linkPointer, sizeOf, writeRef, writeTreeCache, type RepoCache } from '../hfcache/index.ts';
import type { DownloadState, FileState } from './store.ts';

/** An installed model as the library's inventory records it. */
export interface InstalledModel {
  repoId: string;
  revision: string | null;
  path: string;
  sizeBytes: number | null;
  format: string;
  addedAt: number;
  lastUsedAt: number | null;
}

/** The part of the library's inventory a finished download updates. */
export interface ModelInventory {
  get(repoId: string): Pick<InstalledModel, 'addedAt' | 'lastUsedAt'> | undefined;
  upsert(m: InstalledModel): void;
}

/** Blobs already in the cache (ours, mlx-lm's, the hf CLI's) are used as they are: nothing is fetched again. */
export function adoptCachedBlobs(cache: RepoCache, files: FileState[]): void {
  for (const f of files) {
    if (f.status !== 'done' && sizeOf(cache.blob(f.blob)) === f.size) {
      f.status = 'done';
      f.doneBytes = f.size;
      f.ranges = null;
      fs.rmSync(cache.incomplete(f.blob), { force: true });
    }
  }
}

/** Links every file of the commit to its blob and writes the tree listing and the ref of the revision. */
export function buildSnapshot(cache: RepoCache, row: DownloadState, files: FileState[]): void {
  const commit = row.commitSha!;
  for (const f of files) linkPointer(cache, commit, f.path, f.blob);
  writeTreeCache(
    cache,
    commit,
    files.map((f) => ({ path: f.path, size: f.size, oid: f.gitOid, lfsSha256: f.sha256 })),
  );
  if (row.revision !== commit) writeRef(cache, row.revision, commit);
}

/** Records the snapshot in the inventory; a model already there keeps when it was added and last used. */
export function recordInstalled(
  inventory: ModelInventory,
  cache: RepoCache,
  row: DownloadState,
  total: number,
): void {
  const commit = row.commitSha!;
  const prev = inventory.get(row.repoId);
  inventory.upsert({
    repoId: row.repoId,
    revision: commit,
    path: cache.snapshot(commit),
    sizeBytes: total,
    format: 'mlx',
    addedAt: prev?.addedAt ?? Date.now(),
    lastUsedAt: prev?.lastUsedAt ?? null,
  });
}

export function deleteIncompletes(cache: RepoCache, files: FileState[]): void {
  for (const f of files) {
    if (f.status === 'done') continue;
    let inc: string;
    try {
      inc = cache.incomplete(f.blob);
    } catch {
      // A blob name that would leave the cache (stored before names were checked): nothing of ours is there.
      continue;
    }
    fs.rmSync(inc, { force: true });
  }
}
