// Test support: one Orchard core slice for download tests: temp ORCHARD_HOME with a migrated database, an HF
// cache folder, and a download manager pointed at a Hub test server, with fast retry settings.
import path from 'node:path';
import { openDatabase, type Database } from '../../src-main/core/db/index.ts';
import {
  createDownloadManager,
  type DownloadManager,
  type DownloadManagerOptions,
} from '../../src-main/core/downloads/index.ts';
import { createHttp, createHubClient, type HubClient } from '../../src-main/core/hub/index.ts';
import { libraryStore } from '../../src-main/core/library/index.ts';
import { makeTempDir } from '../tmp.ts';

export interface CoreEnv {
  dir: string;
  cacheDir: string;
  db: Database;
  hub: HubClient;
  manager: DownloadManager;
  close(): Promise<void>;
}

export function fastOptions(): Partial<DownloadManagerOptions> {
  return {
    backoffBaseMs: 20,
    backoffMaxMs: 200,
    stallMs: 1500,
    maxRetries: 6,
    chunkBytes: 32 * 2 ** 20,
    progressIntervalMs: 100,
  };
}

export function makeCoreEnv(
  hubUrl: string,
  over: Partial<DownloadManagerOptions> & { token?: string | null; dir?: string } = {},
): CoreEnv {
  const tmp = over.dir ? null : makeTempDir('orchard-dl-');
  const dir = over.dir ?? tmp!.dir;
  const cacheDir = path.join(dir, 'hf-cache');
  const db = openDatabase(path.join(dir, 'orchard.db'));
  const http = createHttp({ hubUrl, token: over.token ?? null });
  const hub = createHubClient(http);
  const manager = createDownloadManager({
    db,
    cacheDir,
    http,
    hub,
    inventory: libraryStore(db),
    ...fastOptions(),
    ...over,
  });
  return {
    dir,
    cacheDir,
    db,
    hub,
    manager,
    close: async () => {
      await manager.close();
      db.close();
      tmp?.cleanup();
    },
  };
}
