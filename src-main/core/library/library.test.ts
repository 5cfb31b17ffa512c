// Library over a real HF cache written by the download manager: listing, incomplete snapshots hidden,
// extra folders, loaded state, and deletion that keeps blobs another snapshot still uses.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startHubServer, type HubServer } from '../../../test-support/hub/server.ts';
import { llamaConfig, writeFixtureRepo } from '../../../test-support/hub/fixtures.ts';
import { makeCoreEnv, type CoreEnv } from '../../../test-support/hub/env.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { libraryMethods } from '#shared/contract/library.ts';
import { repoCache } from '../hfcache/index.ts';
import { createLibrary, libraryStore } from './index.ts';

const A = 'org/text-model';
const V = 'org/vision-model';
let fx: ReturnType<typeof makeTempDir>;
let srv: HubServer;
let e: CoreEnv;

beforeAll(async () => {
  fx = makeTempDir('orchard-lib-');
  writeFixtureRepo(fx.dir, A, {
    files: { 'config.json': llamaConfig(), 'model.safetensors': { size: 2 ** 20, seed: 1 } },
  });
  writeFixtureRepo(fx.dir, V, {
    files: {
      'config.json': JSON.stringify({
        model_type: 'qwen2_5_vl',
        vision_config: {},
        quantization: { bits: 8, group_size: 32 },
      }),
      'model.safetensors': { size: 2 ** 20, seed: 2 },
    },
  });
  srv = await startHubServer({ root: fx.dir });
});
afterEach(async () => {
  await e?.close();
});
afterAll(async () => {
  await srv.close();
  fx.cleanup();
});

it('lists complete models with kind, quantization, size, last use and loaded state', async () => {
  e = makeCoreEnv(srv.url);
  for (const r of [A, V]) await e.manager.wait((await e.manager.pull(r)).id);
  // A half-made snapshot from another tool (dangling link) is not a model yet.
  const half = repoCache(e.cacheDir, 'org/half');
  fs.mkdirSync(half.snapshot('c1'), { recursive: true });
  fs.writeFileSync(path.join(half.snapshot('c1'), 'config.json'), llamaConfig());
  fs.symlinkSync('../../blobs/missing', path.join(half.snapshot('c1'), 'model.safetensors'));

  libraryStore(e.db).touch(A, 1234);
  const lib = createLibrary({ db: e.db, cacheDir: e.cacheDir, isLoaded: (id) => id === V });
  const list = lib.list();
  expect(list.map((m) => [m.repoId, m.kind, m.quantization?.bits, m.loaded, m.lastUsedAt])).toEqual(
    [
      [A, 'text', 4, false, 1234],
      [V, 'vision', 8, true, null],
    ],
  );
  expect(list[0]!.sizeBytes).toBe(2 ** 20 + llamaConfig().length);
});

it('finds models in extra folders and refuses to delete them', async () => {
  e = makeCoreEnv(srv.url);
  const extra = path.join(e.dir, 'my-models');
  fs.mkdirSync(path.join(extra, 'me', 'local-llama'), { recursive: true });
  fs.writeFileSync(
    path.join(extra, 'me', 'local-llama', 'config.json'),
    llamaConfig({ quantization: undefined }),
  );
  fs.writeFileSync(path.join(extra, 'me', 'local-llama', 'model.safetensors'), Buffer.alloc(1000));
  const lib = createLibrary({ db: e.db, cacheDir: e.cacheDir, extraFolders: () => [extra] });
  expect(lib.list()).toMatchObject([
    {
      repoId: 'me/local-llama',
      source: 'folder',
      sizeBytes: 1000 + llamaConfig({ quantization: undefined }).length,
      quantization: null,
    },
  ]);
  await expect(lib.remove('me/local-llama')).rejects.toThrow(/extra folder/);
  expect(fs.existsSync(path.join(extra, 'me', 'local-llama', 'model.safetensors'))).toBe(true);
});

it('delete removes the snapshot and unshared blobs, keeps blobs another snapshot links to', async () => {
  e = makeCoreEnv(srv.url);
  const v = await e.manager.wait((await e.manager.pull(A)).id);
  const cache = repoCache(e.cacheDir, A);
  // A second snapshot sharing the weights blob (as after a README-only commit on the Hub).
  const other = cache.snapshot('b'.repeat(40));
  fs.mkdirSync(other, { recursive: true });
  const weights = fs.readlinkSync(cache.pointer(v.commitSha!, 'model.safetensors'));
  fs.symlinkSync(weights, path.join(other, 'model.safetensors'));

  const lib = createLibrary({ db: e.db, cacheDir: e.cacheDir, isDownloading: () => false });
  const { removeFromCache } = await import('./remove.ts');
  const r = removeFromCache(e.cacheDir, A, [v.commitSha!]);
  expect(r.freedBytes).toBe(llamaConfig().length); // config blob only: the weights are still linked
  expect(fs.existsSync(path.join(cache.root, 'blobs', path.basename(weights)))).toBe(true);
  expect(fs.existsSync(cache.ref('main'))).toBe(false);

  const all = await lib.remove(A);
  expect(all.freedBytes).toBe(2 ** 20);
  expect(fs.existsSync(cache.root)).toBe(false);
  expect(libraryStore(e.db).get(A)).toBeUndefined();
  await expect(lib.remove(A)).rejects.toThrow(/no local model/);
});

it('delete refuses what is not a repo id, in the RPC contract and in core, and deletes nothing', async () => {
  e = makeCoreEnv(srv.url);
  // A folder that `a/b/c` would name if ids were not checked (Hub ids never hold `--`).
  const odd = path.join(e.cacheDir, 'models--a--b--c', 'snapshots', 'x', 'config.json');
  fs.mkdirSync(path.dirname(odd), { recursive: true });
  fs.writeFileSync(odd, '{}');
  const lib = createLibrary({ db: e.db, cacheDir: e.cacheDir });
  const bad = ['a/b/c', '../../etc', '', '..', '../x', 'a/..', 'org', 'a--b/c', 'a/b--c', 'a/b\0'];
  for (const repoId of bad)
    await expect(lib.remove(repoId), repoId).rejects.toMatchObject({ code: 'validation' });
  expect(fs.existsSync(odd)).toBe(true);
  expect(fs.readdirSync(e.cacheDir)).toEqual(['models--a--b--c']);
  for (const repoId of bad)
    expect(libraryMethods['library.delete'].input.safeParse({ repoId }).success, repoId).toBe(
      false,
    );
});

it('refuses to delete a model being downloaded or loaded', async () => {
  e = makeCoreEnv(srv.url);
  await e.manager.wait((await e.manager.pull(A)).id);
  await expect(
    createLibrary({ db: e.db, cacheDir: e.cacheDir, isDownloading: () => true }).remove(A),
  ).rejects.toThrow(/being downloaded/);
  // The loaded state is brought up to date before the check (a model loaded since the last poll counts).
  let loaded = false;
  const lib = createLibrary({
    db: e.db,
    cacheDir: e.cacheDir,
    isLoaded: () => loaded,
    refreshLoaded: () => {
      loaded = true;
      return Promise.resolve();
    },
  });
  expect(lib.list()[0]!.loaded).toBe(false);
  await expect(lib.remove(A)).rejects.toMatchObject({
    code: 'model_loaded',
    message: expect.stringMatching(/unload it first/),
  });
  expect(createLibrary({ db: e.db, cacheDir: e.cacheDir }).list()).toHaveLength(1);
});
