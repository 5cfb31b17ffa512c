// A download process SIGKILLed at random points five times, then restarted, finishes with correct hashes
// and re-fetches only what was in flight at each kill.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PULL_CHILD } from '../../../test-support/crash/index.ts';
import { startHubServer, type HubServer } from '../../../test-support/hub/server.ts';
import { llamaConfig, writeFixtureRepo } from '../../../test-support/hub/fixtures.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { tsxArgv } from '../../../test-support/tsx.ts';
import { openDatabase } from '../db/index.ts';
import { repoCache, readRef } from '../hfcache/index.ts';

const MB = 2 ** 20;
const REPO = 'mlx-community/Crash-4bit';
const SIZE = 300 * MB;

let fx: ReturnType<typeof makeTempDir>;
let home: ReturnType<typeof makeTempDir>;
let srv: HubServer;
let expected = '';

beforeAll(async () => {
  fx = makeTempDir('orchard-crashfx-');
  home = makeTempDir('orchard-crashhome-');
  writeFixtureRepo(fx.dir, REPO, {
    files: {
      'config.json': llamaConfig(),
      'model.safetensors': { size: SIZE, seed: 11 },
      'tokenizer.json': '{}',
    },
  });
  expected = crypto
    .createHash('sha256')
    .update(fs.readFileSync(path.join(fx.dir, ...REPO.split('/'), 'model.safetensors')))
    .digest('hex');
  srv = await startHubServer({ root: fx.dir });
});

afterAll(async () => {
  await srv.close();
  fx.cleanup();
  home.cleanup();
});

/** Runs the child; kills it with SIGKILL once it reports `killAt` bytes (null = let it finish). */
function runChild(
  killAt: number | null,
): Promise<{ killed: boolean; end: string | null; lastBytes: number }> {
  const [cmd, args] = tsxArgv(PULL_CHILD, home.dir, srv.url, REPO);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let lastBytes = 0;
  let end: string | null = null;
  let buf = '';
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdout.on('data', (b: Buffer) => {
    buf += b.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      if (l.startsWith('P ')) {
        lastBytes = Number(l.slice(2));
        if (killAt !== null && lastBytes >= killAt && child.exitCode === null)
          child.kill('SIGKILL');
      } else if (l.startsWith('END ')) end = l.slice(4);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL' && end === null)
        reject(new Error(`child exited without END: ${stderr}`));
      else resolve({ killed: signal === 'SIGKILL', end, lastBytes });
    });
  });
}

it('five SIGKILLs at random points, then a restart: the download completes with correct hashes', async () => {
  // Seeded kill points so a failure can be replayed; spread over the whole file.
  let x = 0x5eed;
  const rand = (): number => (x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const points = Array.from({ length: 5 }, (_, i) => Math.floor(((i + rand()) / 5.5) * SIZE));
  // Held to 30 MB/s per request: a progress line comes every few MB, so each kill lands before the end (unthrottled,
  // loopback moves the whole file between two progress lines).
  srv.inject({ kind: 'slow', bytesPerSec: 30 * MB, path: 'model.safetensors', times: 1000 });
  let kills = 0;
  for (const p of points) {
    const r = await runChild(p);
    if (r.killed) kills++;
  }
  expect(kills).toBe(5);
  // The dead processes left a resumable row behind: still "running", with per-range progress.
  const db = openDatabase(path.join(home.dir, 'orchard.db'));
  const row = db.prepare('SELECT status, done_bytes AS done FROM downloads').get() as {
    status: string;
    done: number;
  };
  db.close();
  expect(row.status).toBe('running');
  expect(row.done).toBeGreaterThan(0);

  const final = await runChild(null);
  expect(final.end).toMatch(/^done/);
  const cache = repoCache(path.join(home.dir, 'hf-cache'), REPO);
  const commit = readRef(cache, 'main')!;
  const file = cache.pointer(commit, 'model.safetensors');
  expect(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')).toBe(expected);
  // Each kill loses the bytes since the last checkpoint plus what sat in socket buffers; never a restart from zero
  // (which would cost several hundred MB here). The bench reports the exact figure.
  const refetched = srv.bytesServed(REPO, 'model.safetensors') - SIZE;
  expect(refetched).toBeLessThan(5 * 40 * MB);
});
