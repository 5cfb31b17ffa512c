// Download manager against the Hub test server over real HTTP: HF cache layout, pause/resume, cancel,
// faults (drops, stalls, 5xx, wrong bytes), disk space, gated repos, and restart behaviour.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHubServer, type HubServer } from '../../../test-support/hub/server.ts';
import { llamaConfig, writeFixtureRepo } from '../../../test-support/hub/fixtures.ts';
import { makeCoreEnv, type CoreEnv } from '../../../test-support/hub/env.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { libraryStore } from '../library/index.ts';
import { readRef, readTreeCache, repoCache } from '../hfcache/index.ts';
import type { DownloadView } from './index.ts';

const MB = 2 ** 20;
const BIG = 'mlx-community/Big-4bit';
const MID = 'mlx-community/Mid-4bit';
const SMALL = 'org/small';
const GATED = 'meta/gated';

let fixtures: ReturnType<typeof makeTempDir>;
let srv: HubServer;
const sha: Record<string, string> = {};
const envs: CoreEnv[] = [];

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

async function env(over: Parameters<typeof makeCoreEnv>[1] = {}): Promise<CoreEnv> {
  const e = makeCoreEnv(srv.url, over);
  envs.push(e);
  return e;
}

/** Resolves once the download has `bytes`; rejects if it ends first, unless `orDone` and it ended done. */
function untilBytes(
  e: CoreEnv,
  id: string,
  bytes: number,
  { orDone = false }: { orDone?: boolean } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const off = e.manager.on('progress', (p) => {
      if (p.id === id && p.doneBytes >= bytes) {
        off();
        resolve();
      }
    });
    e.manager.wait(id).then((v) => {
      off();
      if (v.status === 'running') return;
      if (orDone && v.status === 'done') return resolve();
      reject(new Error(`download ended (${v.status}) before ${bytes} bytes`));
    }, reject);
  });
}

/**
 * Holds every request for a weights file to `bytesPerSec`: tests that act mid-download (pause, cancel, quit) must
 * not race a loopback transfer that can finish a few hundred MB in a fraction of a second.
 */
function throttle(bytesPerSec = 150 * MB): void {
  srv.inject({ kind: 'slow', bytesPerSec, path: 'model.safetensors', times: 64 });
}

function snapshotFile(e: CoreEnv, repo: string, v: DownloadView, file: string): string {
  return repoCache(e.cacheDir, repo).pointer(v.commitSha!, file);
}

beforeAll(async () => {
  fixtures = makeTempDir('orchard-hubfx-');
  const readme = '---\nlicense: apache-2.0\n---\n# Model\n';
  writeFixtureRepo(fixtures.dir, BIG, {
    files: {
      'config.json': llamaConfig(),
      'README.md': readme,
      'model.safetensors': { size: 300 * MB, seed: 1 },
    },
    meta: { tags: ['mlx'], cardData: { license: 'apache-2.0' } },
  });
  writeFixtureRepo(fixtures.dir, MID, {
    files: {
      'config.json': llamaConfig(),
      'model.safetensors': { size: 64 * MB, seed: 2 },
      'tokenizer.json': '{"v":1}',
    },
  });
  writeFixtureRepo(fixtures.dir, SMALL, {
    files: {
      'config.json': llamaConfig(),
      'nested/dir/notes.txt': 'hello',
      'weights.safetensors': { size: 3 * MB, seed: 3 },
    },
  });
  writeFixtureRepo(fixtures.dir, GATED, {
    files: { 'config.json': llamaConfig(), 'model.safetensors': { size: 1 * MB, seed: 4 } },
    meta: { gated: 'manual' },
  });
  for (const [repo, file] of [
    [BIG, 'model.safetensors'],
    [MID, 'model.safetensors'],
  ] as const) {
    sha[repo] = sha256(path.join(fixtures.dir, ...repo.split('/'), file));
  }
  srv = await startHubServer({ root: fixtures.dir });
});

afterEach(async () => {
  srv.clearFaults();
  srv.resetStats();
  while (envs.length) await envs.pop()!.close();
});

afterAll(async () => {
  await srv.close();
  fixtures.cleanup();
});

describe('download manager', () => {
  it('writes the HF cache layout huggingface_hub writes, and the model into the library', async () => {
    const e = await env();
    const v = await e.manager.wait((await e.manager.pull(SMALL)).id);
    expect(v.status).toBe('done');
    const cache = repoCache(e.cacheDir, SMALL);
    expect(readRef(cache, 'main')).toBe(v.commitSha);
    const tree = readTreeCache(cache, v.commitSha!)!;
    expect(tree.map((t) => t.path).sort()).toEqual([
      'config.json',
      'nested/dir/notes.txt',
      'weights.safetensors',
    ]);
    for (const t of tree) {
      const pointer = cache.pointer(v.commitSha!, t.path);
      const link = fs.readlinkSync(pointer);
      expect(path.isAbsolute(link)).toBe(false);
      // LFS blobs are named by sha256, regular files by their git blob sha1 (the ETag).
      expect(path.basename(link)).toBe(t.lfsSha256 ?? t.oid);
      expect(fs.statSync(pointer).size).toBe(t.size);
    }
    expect(fs.readFileSync(cache.pointer(v.commitSha!, 'nested/dir/notes.txt'), 'utf8')).toBe(
      'hello',
    );
    expect(
      fs.readdirSync(path.join(cache.root, 'blobs')).filter((f) => f.endsWith('.incomplete')),
    ).toEqual([]);
    expect(libraryStore(e.db).get(SMALL)?.path).toBe(cache.snapshot(v.commitSha!));
  });

  it('pause keeps the partial file, resume finishes byte-identical without refetching', async () => {
    const e = await env({ checkpointBytes: 4 * MB });
    throttle();
    const { id } = await e.manager.pull(BIG);
    await untilBytes(e, id, 100 * MB);
    const paused = await e.manager.pause(id);
    expect(paused.status).toBe('paused');
    const cache = repoCache(e.cacheDir, BIG);
    const inc = cache.incomplete(sha[BIG]!);
    expect(fs.existsSync(inc)).toBe(true);
    expect(fs.existsSync(cache.snapshot(paused.commitSha!))).toBe(false);
    expect(libraryStore(e.db).get(BIG)).toBeUndefined();
    const servedAtPause = srv.bytesServed(BIG, 'model.safetensors');
    expect(servedAtPause).toBeLessThan(300 * MB);

    const done = await e.manager.wait((await e.manager.resume(id)).id);
    expect(done.status).toBe('done');
    expect(sha256(snapshotFile(e, BIG, done, 'model.safetensors'))).toBe(sha[BIG]);
    // Bytes sent beyond the file size are what was in flight at the pause, never a restart from zero.
    expect(srv.bytesServed(BIG, 'model.safetensors') - 300 * MB).toBeLessThan(32 * MB);
  });

  it('finishes one file through 20 dropped connections', async () => {
    const e = await env({ connectionsPerFile: 1 });
    for (let i = 1; i <= 20; i++)
      srv.inject({ kind: 'drop', at: i * 3 * MB + 12345, path: 'model.safetensors' });
    const v = await e.manager.wait((await e.manager.pull(MID)).id);
    expect(v.status).toBe('done');
    expect(srv.bodyRequests(MID, 'model.safetensors')).toBeGreaterThanOrEqual(21);
    expect(sha256(snapshotFile(e, MID, v, 'model.safetensors'))).toBe(sha[MID]);
  });

  it('detects wrong bytes, fetches the file again once, and then gives up with a clear message', async () => {
    const e = await env();
    srv.inject({ kind: 'corrupt', at: 40 * MB + 7, path: 'model.safetensors' });
    const ok = await e.manager.wait((await e.manager.pull(MID)).id);
    expect(ok.status).toBe('done');
    expect(sha256(snapshotFile(e, MID, ok, 'model.safetensors'))).toBe(sha[MID]);

    const e2 = await env();
    srv.inject({ kind: 'corrupt', at: 5 * MB, path: 'model.safetensors', times: 2 });
    const bad = await e2.manager.wait((await e2.manager.pull(MID)).id);
    expect(bad.status).toBe('failed');
    expect(bad.error).toMatch(
      /model\.safetensors: sha256 mismatch .* again after a fresh download/,
    );
    const cache = repoCache(e2.cacheDir, MID);
    expect(fs.existsSync(cache.incomplete(sha[MID]!))).toBe(false);
    expect(fs.existsSync(cache.blob(sha[MID]!))).toBe(false);
    expect(libraryStore(e2.db).get(MID)).toBeUndefined();
  });

  it('detects a stall and retries', async () => {
    const e = await env({ stallMs: 400 });
    srv.inject({ kind: 'stall', at: 10 * MB, path: 'model.safetensors' });
    const retries: string[] = [];
    e.manager.on('progress', (p) => {
      if (p.retrying) retries.push(p.retrying);
    });
    const v = await e.manager.wait((await e.manager.pull(MID)).id);
    expect(v.status).toBe('done');
    expect(sha256(snapshotFile(e, MID, v, 'model.safetensors'))).toBe(sha[MID]);
    expect(srv.bodyRequests(MID, 'model.safetensors')).toBeGreaterThan(2);
  });

  it('retries 5xx answers from the Hub and its CDN', async () => {
    const e = await env();
    srv.inject({ kind: 'status', status: 503, on: 'resolve', path: 'config.json', times: 3 });
    srv.inject({ kind: 'status', status: 502, on: 'cdn', path: 'weights.safetensors', times: 2 });
    const v = await e.manager.wait((await e.manager.pull(SMALL)).id);
    expect(v.status).toBe('done');
  });

  it('refuses to start without the space, and a full disk mid-way keeps what was fetched', async () => {
    const e = await env({ freeSpace: async () => 10 * MB });
    const v = await e.manager.wait((await e.manager.pull(MID)).id);
    expect(v.status).toBe('failed');
    expect(v.error).toMatch(
      /not enough disk space for mlx-community\/Mid-4bit: needs 67\.\d MB more, 10\.5 MB free/,
    );
    expect(srv.bytesServed(MID, 'model.safetensors')).toBe(0);

    let free = 1e12;
    const e2 = await env({ freeSpace: async () => free, checkpointBytes: 2 * MB });
    throttle();
    const { id } = await e2.manager.pull(BIG);
    await untilBytes(e2, id, 60 * MB);
    await e2.manager.pause(id);
    const kept = e2.manager.get(id).doneBytes;
    const keptInFile = e2.manager
      .get(id)
      .files.find((f) => f.path === 'model.safetensors')!.doneBytes;
    free = 50 * MB;
    const failed = await e2.manager.wait((await e2.manager.resume(id)).id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/not enough disk space/);
    expect(failed.doneBytes).toBe(kept);
    expect(
      fs.statSync(repoCache(e2.cacheDir, BIG).incomplete(sha[BIG]!)).size,
    ).toBeGreaterThanOrEqual(keptInFile);
    free = 1e12;
    const done = await e2.manager.wait((await e2.manager.resume(id)).id);
    expect(done.status).toBe('done');
    expect(sha256(snapshotFile(e2, BIG, done, 'model.safetensors'))).toBe(sha[BIG]);
  });

  it('cancel deletes partial files and never lists the model', async () => {
    const e = await env();
    throttle();
    const { id } = await e.manager.pull(BIG);
    await untilBytes(e, id, 20 * MB);
    const v = await e.manager.cancel(id);
    expect(v.status).toBe('cancelled');
    const blobs = path.join(repoCache(e.cacheDir, BIG).root, 'blobs');
    expect(fs.readdirSync(blobs).filter((f) => f.endsWith('.incomplete'))).toEqual([]);
    expect(libraryStore(e.db).get(BIG)).toBeUndefined();
    await expect(e.manager.cancel(id)).rejects.toThrow(/cancelled/);
  });

  it('a gated repo without a token fails at once with a clear message; with the token it downloads', async () => {
    const e = await env();
    await expect(e.manager.pull(GATED)).rejects.toThrow(
      /gated model: accept its terms on the Hub, then set a Hugging Face token/,
    );
    expect(e.manager.list()).toEqual([]);
    const e2 = await env({ token: srv.token });
    const v = await e2.manager.wait((await e2.manager.pull(GATED)).id);
    expect(v.status).toBe('done');
  });

  it('bad input is refused and changes nothing', async () => {
    const e = await env();
    await expect(e.manager.pull('../../etc')).rejects.toThrow(/not a model repo id/);
    await expect(e.manager.pull('nobody/nothing')).rejects.toThrow(/not found on the Hub/);
    await expect(e.manager.pull(SMALL, { revision: 'no-such-branch' })).rejects.toThrow(
      /not found/,
    );
    await expect(e.manager.pause('nope')).rejects.toThrow(/no download/);
    expect(e.manager.list()).toEqual([]);
    expect(fs.existsSync(e.cacheDir)).toBe(false);
  });

  it('at the next start, an interrupted download resumes by itself and a paused one stays paused', async () => {
    const e = await env({ checkpointBytes: 2 * MB });
    throttle();
    const a = await e.manager.pull(BIG);
    const b = await e.manager.pull(MID);
    await untilBytes(e, b.id, 8 * MB);
    await e.manager.pause(b.id);
    await untilBytes(e, a.id, 30 * MB);
    await e.manager.close(); // as if the app quit mid-download
    e.db.close();

    const e2 = await env({ dir: e.dir });
    const resumed = e2.manager.start();
    expect(resumed).toEqual([a.id]);
    expect(e2.manager.get(b.id).status).toBe('paused');
    const v = await e2.manager.wait(a.id);
    expect(v.status).toBe('done');
    expect(sha256(snapshotFile(e2, BIG, v, 'model.safetensors'))).toBe(sha[BIG]);
    expect(e2.manager.get(b.id).status).toBe('paused');
  });

  it('pulling a model already complete in the cache fetches nothing', async () => {
    const e = await env();
    await e.manager.wait((await e.manager.pull(SMALL)).id);
    srv.resetStats();
    const again = await e.manager.wait((await e.manager.pull(SMALL)).id);
    expect(again.status).toBe('done');
    expect(
      srv.bytesServed(SMALL, 'weights.safetensors') + srv.bytesServed(SMALL, 'config.json'),
    ).toBe(0);
  });

  it('runs at most `concurrency` downloads at once; the others wait queued and start when a slot frees', async () => {
    srv.inject({ kind: 'slow', bytesPerSec: 8 * MB, path: 'model.safetensors' });
    let limit = 1;
    const e = await env({ concurrency: () => limit });
    const a = await e.manager.pull(MID);
    const b = await e.manager.pull(SMALL);
    await untilBytes(e, a.id, 1 * MB);
    // The second one has not fetched a byte while the first runs.
    expect(e.manager.get(b.id)).toMatchObject({ status: 'queued', doneBytes: 0 });
    expect(srv.bodyRequests(SMALL, 'weights.safetensors')).toBe(0);
    // A paused download frees its slot at once.
    await e.manager.pause(a.id);
    expect((await e.manager.wait(b.id)).status).toBe('done');
    // The limit is read when a slot frees: raised to 2, two downloads run side by side.
    limit = 2;
    srv.inject({ kind: 'slow', bytesPerSec: 8 * MB, path: 'model.safetensors' });
    const c = await e.manager.pull(BIG);
    await untilBytes(e, c.id, 1 * MB);
    await e.manager.resume(a.id);
    // `a` moves while the slowed `c` is still running (with a limit of 1 it would wait for `c` to end).
    await untilBytes(e, a.id, e.manager.get(a.id).doneBytes + 1 * MB, { orDone: true });
    expect(e.manager.get(c.id).status).toBe('running');
    expect((await e.manager.wait(a.id)).status).toBe('done');
    expect((await e.manager.wait(c.id)).status).toBe('done');
  });
});
