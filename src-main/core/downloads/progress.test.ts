// Live progress against the Hub test server's slow-rate fault: doneBytes and the speed readout must keep moving
// while bytes flow (fresh, resumed, and parallel ranges), judged against the server's byte counts, never clocks.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHubServer, type HubServer } from '../../../test-support/hub/server.ts';
import { writeFixtureRepo } from '../../../test-support/hub/fixtures.ts';
import { makeCoreEnv, type CoreEnv } from '../../../test-support/hub/env.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { repoCache } from '../hfcache/index.ts';
import { downloadStore } from './store.ts';

const KB = 1024;
const MB = 2 ** 20;
const ONE = 'org/slow-one';
const MANY = 'org/slow-ranges';
const FILE = 'model.safetensors';

let fixtures: ReturnType<typeof makeTempDir>;
let srv: HubServer;
const sha: Record<string, string> = {};
const envs: CoreEnv[] = [];

interface Sample {
  done: number;
  speed: number;
  /** Body bytes the server had sent for the file when the event fired. */
  served: number;
}

function record(e: CoreEnv, id: string, repo: string): { samples: Sample[]; stop(): void } {
  const samples: Sample[] = [];
  const stop = e.manager.on('progress', (p) => {
    if (p.id === id)
      samples.push({ done: p.doneBytes, speed: p.speedBps, served: srv.bytesServed(repo, FILE) });
  });
  return { samples, stop };
}

/** Waits (without asserting on time) until the server has sent `bytes` of the file; fails if the job ends. */
async function untilServed(e: CoreEnv, id: string, repo: string, bytes: number): Promise<void> {
  while (srv.bytesServed(repo, FILE) < bytes) {
    const st = e.manager.get(id).status;
    if (st !== 'running' && st !== 'queued')
      throw new Error(`download ${st} before ${bytes} bytes`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * The samples taken while the server was sending [from.served, until) must show doneBytes never going back,
 * never ahead of what the server sent since `from`, advancing at least twice, and a non-zero speed once moving.
 */
function expectLive(
  samples: Sample[],
  from: { done: number; served: number },
  until: number,
): void {
  expect(samples.length).toBeGreaterThan(0);
  let prev = from.done;
  for (const s of samples) {
    expect(s.done).toBeGreaterThanOrEqual(prev);
    expect(s.done - from.done).toBeLessThanOrEqual(s.served - from.served);
    prev = s.done;
  }
  const flowing = samples.filter((s) => s.served > from.served && s.served < until);
  let advances = 0;
  prev = from.done;
  for (const s of flowing) {
    if (s.done > prev) advances++;
    if (advances > 0) expect(s.speed).toBeGreaterThan(0);
    prev = s.done;
  }
  // Before the fix, doneBytes stood still here: the bytes waited in a 2 MiB buffer until a range ended.
  expect(advances).toBeGreaterThanOrEqual(2);
}

/** Smallest count of bytes a range of the file still misses: below it, no connection can have finished. */
function minRemaining(e: CoreEnv, id: string): number {
  const f = downloadStore(e.db)
    .files(id)
    .find((x) => x.path === FILE)!;
  const open = (f.ranges ?? [])
    .filter(([, end, pos]) => pos < end)
    .map(([, end, pos]) => end - pos);
  return open.length ? Math.min(...open) : f.size - f.doneBytes;
}

async function env(over: Parameters<typeof makeCoreEnv>[1] = {}): Promise<CoreEnv> {
  const e = makeCoreEnv(srv.url, { progressIntervalMs: 100, ...over });
  envs.push(e);
  return e;
}

beforeAll(async () => {
  // One file per repo, so a progress event's doneBytes is that file's alone and compares with the server's count.
  fixtures = makeTempDir('orchard-hubfx-progress-');
  writeFixtureRepo(fixtures.dir, ONE, {
    files: { [FILE]: { size: 1 * MB, seed: 11 } },
  });
  writeFixtureRepo(fixtures.dir, MANY, {
    files: { [FILE]: { size: 4 * MB, seed: 12 } },
  });
  for (const repo of [ONE, MANY]) {
    sha[repo] = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(fixtures.dir, ...repo.split('/'), FILE)))
      .digest('hex');
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

async function finishAndCheck(e: CoreEnv, id: string, repo: string): Promise<void> {
  srv.clearFaults();
  const v = await e.manager.wait((await e.manager.resume(id)).id);
  expect(v.status).toBe('done');
  expect(v.doneBytes).toBe(v.totalBytes);
  const blob = repoCache(e.cacheDir, repo).pointer(v.commitSha!, FILE);
  expect(crypto.createHash('sha256').update(fs.readFileSync(blob)).digest('hex')).toBe(sha[repo]);
}

describe('progress while bytes flow slowly', () => {
  it('one connection: doneBytes and speed advance on a fresh download and again after pause + resume', async () => {
    const e = await env();
    srv.inject({ kind: 'slow', bytesPerSec: 512 * KB, path: FILE });
    const { id } = await e.manager.pull(ONE);
    const fresh = record(e, id, ONE);
    const windowEnd = 512 * KB; // half the file: the single range is still open
    await untilServed(e, id, ONE, windowEnd);
    const paused = await e.manager.pause(id);
    fresh.stop();
    expectLive(fresh.samples, { done: 0, served: 0 }, windowEnd);

    // Resumed: the offset is what reached the file before the pause, and progress moves on from there.
    const offset = paused.doneBytes;
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(1 * MB);
    const servedAtResume = srv.bytesServed(ONE, FILE);
    const until = servedAtResume + Math.floor(minRemaining(e, id) * 0.75);
    srv.inject({ kind: 'slow', bytesPerSec: 512 * KB, path: FILE });
    const resumed = record(e, id, ONE);
    await e.manager.resume(id);
    await untilServed(e, id, ONE, until);
    await e.manager.pause(id);
    resumed.stop();
    expectLive(resumed.samples, { done: offset, served: servedAtResume }, until);

    await finishAndCheck(e, id, ONE);
  });

  it('parallel ranges of a large file: progress advances before any range ends, fresh and resumed', async () => {
    const e = await env({ chunkBytes: 1 * MB, connectionsPerFile: 4 });
    srv.inject({ kind: 'slow', bytesPerSec: 160 * KB, path: FILE, times: 4 });
    const { id } = await e.manager.pull(MANY);
    const fresh = record(e, id, MANY);
    // Every range is 1 MiB: while the server has sent less than that in all, no connection has finished one.
    const windowEnd = 768 * KB;
    await untilServed(e, id, MANY, windowEnd);
    const paused = await e.manager.pause(id);
    fresh.stop();
    expectLive(fresh.samples, { done: 0, served: 0 }, windowEnd);

    const offset = paused.doneBytes;
    expect(offset).toBeGreaterThan(0);
    const servedAtResume = srv.bytesServed(MANY, FILE);
    const until = servedAtResume + Math.floor(minRemaining(e, id) * 0.75);
    srv.inject({ kind: 'slow', bytesPerSec: 160 * KB, path: FILE, times: 4 });
    const resumed = record(e, id, MANY);
    await e.manager.resume(id);
    await untilServed(e, id, MANY, until);
    await e.manager.pause(id);
    resumed.stop();
    expectLive(resumed.samples, { done: offset, served: servedAtResume }, until);

    await finishAndCheck(e, id, MANY);
  });
});
