// The library service: local models (HF cache + extra folders) with size, kind, quantization, last use and
// loaded state, kept in step with the inventory table, and deletion of a model from the cache.
import fs from 'node:fs';
import type { Database } from 'better-sqlite3';
import { CoreError } from '../errors/index.ts';
import { assertRepoId, repoCache } from '../hfcache/index.ts';
import { removeFromCache } from './remove.ts';
import { scanCache, scanFolder, type LibraryModel } from './scan.ts';
import { libraryStore, type LibraryStore } from './store.ts';

export interface LibraryOptions {
  db: Database;
  /** The inventory store the composition root already built over `db` (one per database); else one is made. */
  models?: LibraryStore;
  cacheDir: string;
  /** Extra model folders (the `library.extraFolders` setting). */
  extraFolders?: () => string[];
  /** Loaded state from the sidecar, as last known (listing does no I/O for it). */
  isLoaded?: (repoId: string, path: string) => boolean;
  /** Brings isLoaded up to date; awaited before a deletion so a model just loaded is never deleted. */
  refreshLoaded?: () => Promise<void>;
  /** True while a download of the repo is running (deletion is refused then). */
  isDownloading?: (repoId: string) => boolean;
}

export const EXTRA_FOLDERS_SETTING = 'library.extraFolders';

export interface Library {
  list(): LibraryModel[];
  /** Deletes a model from the HF cache; refused while it is loaded or being downloaded. */
  remove(repoId: string): Promise<{ repoId: string; freedBytes: number }>;
  touch(repoId: string): boolean;
}

export function createLibrary(opts: LibraryOptions): Library {
  const models = opts.models ?? libraryStore(opts.db);

  function list(): LibraryModel[] {
    const found = [
      ...scanCache(opts.cacheDir),
      ...(opts.extraFolders?.() ?? []).flatMap((d) => scanFolder(d)),
    ];
    const out: LibraryModel[] = [];
    for (const m of found) {
      const row = models.get(m.repoId);
      if (m.source === 'hf-cache' && (row?.path !== m.path || row.sizeBytes !== m.sizeBytes)) {
        // Keep the inventory table in step with the disk (models fetched by other tools appear here too).
        models.upsert({
          repoId: m.repoId,
          revision: m.revision,
          path: m.path,
          sizeBytes: m.sizeBytes,
          format: 'mlx',
          addedAt: row?.addedAt ?? Date.now(),
          lastUsedAt: row?.lastUsedAt ?? null,
        });
      }
      out.push({
        ...m,
        lastUsedAt: row?.lastUsedAt ?? null,
        loaded: opts.isLoaded?.(m.repoId, m.path) ?? false,
      });
    }
    return out;
  }

  async function remove(repoId: string): Promise<{ repoId: string; freedBytes: number }> {
    // Before any lookup: only an id of the Hub's shape names a cache folder, so nothing else can be deleted.
    assertRepoId(repoId);
    await opts.refreshLoaded?.();
    const m = list().find((x) => x.repoId === repoId);
    const inCache = fs.existsSync(repoCache(opts.cacheDir, repoId).root);
    if (!m && !inCache) throw new CoreError('not_found', `no local model ${repoId}`);
    if (m?.source === 'folder')
      throw new CoreError(
        'conflict',
        `${repoId} is in an extra folder (${m.path}); Orchard does not delete folders it did not create`,
      );
    if (opts.isDownloading?.(repoId))
      throw new CoreError('conflict', `${repoId} is being downloaded; cancel the download first`);
    if (m?.loaded)
      throw new CoreError(
        'model_loaded',
        `${repoId} is loaded (or being loaded) in the sidecar; unload it first`,
      );
    const r = removeFromCache(opts.cacheDir, repoId);
    models.delete(repoId);
    return { repoId, freedBytes: r.freedBytes };
  }

  return {
    list,
    remove,
    touch: (repoId: string) => models.touch(repoId, Date.now()),
  };
}
