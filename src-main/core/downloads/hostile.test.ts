// A hostile Hub mirror against the download manager: commit shas, blob ids and file paths that would name a
// place outside the HF cache are refused with an error naming them, and nothing is written outside the cache.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHubServer, type HubServer } from '../../../test-support/hub/server.ts';
import { llamaConfig, writeFixtureRepo } from '../../../test-support/hub/fixtures.ts';
import { fastOptions } from '../../../test-support/hub/env.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { openDatabase, type Database } from '../db/index.ts';
import { CoreError } from '../errors/index.ts';
import { repoCache } from '../hfcache/index.ts';
import { createHttp, createHubClient, type HubClient } from '../hub/index.ts';
import { libraryStore } from '../library/index.ts';
import { createDownloadManager, downloadStore, type DownloadManager } from './index.ts';

const REPO = 'org/hostile';
/** From <cache>/models--org--hostile/blobs (or /snapshots): three levels up is the folder holding the cache. */
const ESCAPE = '../../../escaped';

let fx: ReturnType<typeof makeTempDir>;
let srv: HubServer;

interface Env {
  /** The folder that holds the cache: a path escaping the cache by three levels lands here. */
  outside: string;
  cacheDir: string;
  db: Database;
  hub: HubClient;
  manager: DownloadManager;
  /** Names of everything created or changed in `outside` except the cache folder itself. */
  writesOutside(): Promise<string[]>;
  close(): Promise<void>;
}
let env: Env | null = null;

function makeEnv(): Env {
  const t = makeTempDir('orchard-hostile-');
  const outside = path.join(t.dir, 'w');
  const cacheDir = path.join(outside, 'hf-cache');
  fs.mkdirSync(cacheDir, { recursive: true });
  // The database lives beside `outside`, so its own writes are not mistaken for escapes.
  const db = openDatabase(path.join(t.dir, 'orchard.db'));
  const http = createHttp({ hubUrl: srv.url });
  const hub = createHubClient(http);
  const manager = createDownloadManager({
    db,
    cacheDir,
    http,
    hub,
    inventory: libraryStore(db),
    ...fastOptions(),
  });
  // A watcher sees files that exist only for a moment (an .incomplete deleted after a failed hash check).
  const seen = new Set<string>();
  const watcher = fs.watch(outside, (_ev, name) => {
    if (name && name !== 'hf-cache') seen.add(name);
  });
  return {
    outside,
    cacheDir,
    db,
    hub,
    manager,
    writesOutside: async () => {
      await new Promise((r) => setTimeout(r, 100));
      for (const n of fs.readdirSync(outside)) if (n !== 'hf-cache') seen.add(n);
      return [...seen].sort();
    },
    close: async () => {
      watcher.close();
      await manager.close();
      db.close();
      t.cleanup();
    },
  };
}

/** The pull's rejection, or the download's end when it was (wrongly) accepted. */
async function pullOutcome(e: Env): Promise<unknown> {
  try {
    const v = await e.manager.pull(REPO);
    return await e.manager.wait(v.id);
  } catch (err) {
    return err;
  }
}

beforeAll(async () => {
  fx = makeTempDir('orchard-hostile-fx-');
  writeFixtureRepo(fx.dir, REPO, {
    files: { 'config.json': llamaConfig(), 'model.safetensors': { size: 2 ** 20, seed: 9 } },
  });
  srv = await startHubServer({ root: fx.dir });
});

afterEach(async () => {
  srv.setHostile(null);
  await env?.close();
  env = null;
});

afterAll(async () => {
  await srv.close();
  fx.cleanup();
});

describe('a hostile Hub mirror', () => {
  it.each([ESCAPE, '..', 'main', '0123456789abcdef0123456789abcdef0123456z'])(
    'commit sha %j: the pull fails naming it, nothing is written anywhere',
    async (commit) => {
      env = makeEnv();
      srv.setHostile({ commit });
      const out = await pullOutcome(env);
      expect(await env.writesOutside()).toEqual([]);
      expect(out).toBeInstanceOf(CoreError);
      expect((out as CoreError).message).toContain('commit');
      expect((out as CoreError).message).toContain(JSON.stringify(commit));
      expect(env.manager.list()).toEqual([]);
      expect(fs.readdirSync(env.cacheDir)).toEqual([]);
      await expect(env.hub.details(REPO)).rejects.toThrow(JSON.stringify(commit));
    },
  );

  it.each([
    ['git blob id', { oid: { 'config.json': ESCAPE } }],
    ['LFS sha256', { lfsOid: { 'model.safetensors': ESCAPE } }],
    ['git blob id', { oid: { 'config.json': 'ab'.repeat(20) + '/x' } }],
    ['LFS sha256', { lfsOid: { 'model.safetensors': 'AB'.repeat(32) } }],
  ])('%s %j: the pull fails naming it, nothing is written anywhere', async (_what, lie) => {
    env = makeEnv();
    srv.setHostile(lie);
    const bad = Object.values(Object.values(lie)[0]!)[0]!;
    const out = await pullOutcome(env);
    expect(await env.writesOutside()).toEqual([]);
    expect(out).toBeInstanceOf(CoreError);
    expect((out as CoreError).message).toContain('blob id');
    expect((out as CoreError).message).toContain(JSON.stringify(bad));
    expect(env.manager.list()).toEqual([]);
    expect(fs.readdirSync(env.cacheDir)).toEqual([]);
  });

  it.each([
    '../evil.safetensors',
    'sub/../../evil.safetensors',
    'sub/../model.safetensors',
    './model.safetensors',
    'sub//model.safetensors',
    '/abs/model.safetensors',
    'sub\\..\\..\\evil.safetensors',
    'model.safetensors\0',
  ])('tree path %j: the pull fails naming it, nothing is written anywhere', async (bad) => {
    env = makeEnv();
    srv.setHostile({ path: { 'model.safetensors': bad } });
    const out = await pullOutcome(env);
    expect(await env.writesOutside()).toEqual([]);
    expect(out).toBeInstanceOf(CoreError);
    expect((out as CoreError).message).toContain(JSON.stringify(bad));
    expect(env.manager.list()).toEqual([]);
    expect(fs.readdirSync(env.cacheDir)).toEqual([]);
  });
});

describe('hostile values already in the database (stored before they were checked)', () => {
  /** A queued download as an older version could have stored it; the row resumes at the next start. */
  function storeRow(
    e: Env,
    commit: string,
    file: { blob: string; status: 'pending' | 'done'; size: number },
  ): string {
    const id = 'hostile-row';
    downloadStore(e.db).create(
      {
        id,
        repoId: REPO,
        revision: 'main',
        status: 'queued',
        totalBytes: file.size,
        doneBytes: 0,
        error: null,
        createdAt: 1,
        updatedAt: 1,
      },
      commit,
      [
        {
          path: 'config.json',
          size: file.size,
          sha256: null,
          gitOid: file.blob,
          blob: file.blob,
          status: file.status,
          doneBytes: file.status === 'done' ? file.size : 0,
        },
      ],
    );
    return id;
  }

  it('a blob id: the download ends failed naming it, and no .incomplete is written outside', async () => {
    env = makeEnv();
    const size = llamaConfig().length;
    const commit = (await env.hub.info(REPO)).sha;
    const id = storeRow(env, commit, { blob: ESCAPE, status: 'pending', size });
    expect(env.manager.start()).toEqual([id]);
    const v = await env.manager.wait(id);
    expect(await env.writesOutside()).toEqual([]);
    expect(v.status).toBe('failed');
    expect(v.error).toContain(JSON.stringify(ESCAPE));
    expect(v.error).toContain('outside the HF cache');
    // And it can still be cleared away.
    expect((await env.manager.cancel(id)).status).toBe('cancelled');
    expect(await env.writesOutside()).toEqual([]);
  });

  it('a commit sha: the snapshot is never built outside the cache', async () => {
    env = makeEnv();
    // The one file is already complete in the cache, so the job goes straight to building the snapshot.
    const blob = 'ab'.repeat(20);
    const cache = repoCache(env.cacheDir, REPO);
    fs.mkdirSync(path.dirname(cache.blob(blob)), { recursive: true });
    fs.writeFileSync(cache.blob(blob), '{}');
    const id = storeRow(env, ESCAPE, { blob, status: 'done', size: 2 });
    expect(env.manager.start()).toEqual([id]);
    const v = await env.manager.wait(id);
    expect(await env.writesOutside()).toEqual([]);
    expect(v.status).toBe('failed');
    expect(v.error).toContain(JSON.stringify(ESCAPE));
    expect(v.error).toContain('outside the HF cache');
  });
});
