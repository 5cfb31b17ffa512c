// Range transfer against the Hub test server: a file starts on one connection and opens more while each is held
// back by the link (the server's slow-rate fault), never more than allowed, and the bytes land intact.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttp, type Http } from '../hub/index.ts';
import { startHubServer, type HubServer } from '../../../test-support/hub/server.ts';
import { writeFixtureRepo } from '../../../test-support/hub/fixtures.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { planRanges, transfer } from './rangeFetch.ts';
import { createWriterPool } from './writer.ts';

const KB = 1024;
const MB = 2 ** 20;
const REPO = 'org/ranges';
const FILE = 'model.safetensors';
const SIZE = 6 * MB;

let fx: ReturnType<typeof makeTempDir>;
let srv: HubServer;
let sha = '';

beforeAll(async () => {
  fx = makeTempDir('orchard-transferfx-');
  writeFixtureRepo(fx.dir, REPO, { files: { [FILE]: { size: SIZE, seed: 21 } } });
  sha = crypto
    .createHash('sha256')
    .update(fs.readFileSync(path.join(fx.dir, ...REPO.split('/'), FILE)))
    .digest('hex');
  srv = await startHubServer({ root: fx.dir });
});

afterAll(async () => {
  await srv.close();
  fx.cleanup();
});

/** The real client, counting the bodies being read at once. */
function counting(http: Http): { http: Http; most: () => number } {
  let open = 0;
  let most = 0;
  return {
    most: () => most,
    http: {
      ...http,
      get: async (url, init) => {
        const res = await http.get(url, init);
        return {
          ...res,
          read: (reader) => {
            most = Math.max(most, ++open);
            return res.read(reader).finally(() => open--);
          },
        };
      },
    },
  };
}

async function fetchFile(
  connections: number,
  bytesPerSec: number | null,
  onFirstBytes?: () => void,
): Promise<number> {
  const dir = makeTempDir('orchard-transfer-');
  const writers = createWriterPool();
  try {
    const inc = path.join(dir.dir, 'blob.incomplete');
    const ranges = planRanges(SIZE, 512 * KB);
    const sink = writers.open(inc, SIZE, ranges, { sha256: sha, gitOid: 'unused' });
    const { http, most } = counting(createHttp({ hubUrl: srv.url }));
    // Every request held to the same rate, as a link that limits each connection would.
    if (bytesPerSec) srv.inject({ kind: 'slow', bytesPerSec, path: FILE, times: ranges.length });
    let moved = 0;
    await transfer({
      http,
      url: `${srv.url}/${REPO}/resolve/main/${FILE}`,
      name: FILE,
      size: SIZE,
      ranges,
      sink,
      signal: new AbortController().signal,
      opts: {
        connections,
        growWindowMs: 300,
        stallMs: 5000,
        maxRetries: 3,
        backoffBaseMs: 20,
        backoffMaxMs: 100,
      },
      onBytes: (n) => {
        if (moved === 0) onFirstBytes?.();
        moved += n;
      },
    });
    expect(moved).toBe(SIZE);
    expect(ranges.every(([, end, pos]) => pos === end)).toBe(true);
    expect(await sink.finish()).toBeNull();
    return most();
  } finally {
    srv.clearFaults();
    await writers.close();
    dir.cleanup();
  }
}

describe('range requests', () => {
  it('go straight to the address the Hub redirected to, and ask the Hub again when it stops answering', async () => {
    // Once the first range is under way, the CDN refuses one request, as an expired signed address would.
    const most = await fetchFile(1, null, () =>
      srv.inject({ kind: 'status', status: 403, on: 'cdn', path: FILE }),
    );
    expect(most).toBe(1);
  });
});

describe('parallel ranges', () => {
  it('open more connections while each one is held back by the link, up to the most allowed', async () => {
    expect(await fetchFile(4, 2 * MB)).toBe(4);
  });

  it('stay within the limit, and a single connection stays single', async () => {
    expect(await fetchFile(2, 2 * MB)).toBe(2);
    expect(await fetchFile(1, null)).toBe(1);
  });
});
