// The writer worker on real files: bytes handed over from a shared ring land at their offsets, the hash follows
// file order whatever order ranges arrive in (and over a resumed prefix), mismatches and write errors surface.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { planRanges } from './rangeFetch.ts';
import {
  createWriterPool,
  WriteError,
  type BlobSink,
  type Ring,
  type WriterPool,
} from './writer.ts';

const MB = 2 ** 20;
const DATA = crypto.randomBytes(3 * MB + 777);
const SHA = crypto.createHash('sha256').update(DATA).digest('hex');
const PIECE = 256 * 1024;

let tmp: ReturnType<typeof makeTempDir>;
let pool: WriterPool;
let n = 0;

beforeAll(() => {
  tmp = makeTempDir('orchard-writer-');
});
afterEach(async () => {
  await pool?.close();
});
afterAll(() => tmp.cleanup());

const file = (): string => path.join(tmp.dir, `blob-${++n}.incomplete`);

/** Hands over [from, to) of DATA for range r in pieces through the ring, each piece after the last one landed. */
async function send(
  sink: BlobSink,
  ring: Ring,
  r: number,
  from: number,
  to: number,
): Promise<void> {
  for (let at = from; at < to; at += PIECE) {
    const len = Math.min(PIECE, to - at);
    DATA.copy(ring.buf, 0, at, at + len);
    await sink.write(r, at, ring, 0, len);
  }
}

describe('writer', () => {
  it('writes ranges that arrive out of order, and hashes the file in file order', async () => {
    pool = createWriterPool();
    const f = file();
    const ranges = planRanges(DATA.length, MB);
    const sink = pool.open(f, DATA.length, ranges, { sha256: SHA, gitOid: 'unused' });
    const ring = sink.ring(PIECE);
    // The last range first, then the first, then the middle ones: the hash has to wait, then catch up from disk.
    await send(sink, ring, 3, 3 * MB, DATA.length);
    await send(sink, ring, 0, 0, MB);
    // Acknowledged bytes are in the file already (a kill now keeps them).
    expect(fs.readFileSync(f).subarray(0, MB).equals(DATA.subarray(0, MB))).toBe(true);
    await send(sink, ring, 2, 2 * MB, 3 * MB);
    await send(sink, ring, 1, MB, 2 * MB);
    ring.release();
    expect(await sink.finish()).toBeNull();
    expect(fs.readFileSync(f).equals(DATA)).toBe(true);
  });

  it('hashes a resumed file from its prefix on disk, then the new bytes', async () => {
    pool = createWriterPool();
    const f = file();
    const prefix = MB + 12345;
    fs.writeFileSync(f, DATA.subarray(0, prefix));
    const ranges = planRanges(DATA.length, 2 * MB, prefix);
    const sink = pool.open(f, DATA.length, ranges, { sha256: SHA, gitOid: 'unused' });
    const ring = sink.ring(PIECE);
    await send(sink, ring, 1, 2 * MB, DATA.length);
    await send(sink, ring, 0, prefix, 2 * MB);
    ring.release();
    expect(await sink.finish()).toBeNull();
  });

  it('reports a hash that does not match, for LFS files (sha256) and regular files (git blob sha1)', async () => {
    pool = createWriterPool();
    const wrong = '0'.repeat(64);
    const a = pool.open(file(), DATA.length, planRanges(DATA.length, 4 * MB), {
      sha256: wrong,
      gitOid: 'unused',
    });
    const ring = a.ring(PIECE);
    await send(a, ring, 0, 0, DATA.length);
    expect(await a.finish()).toEqual({ kind: 'sha256', expected: wrong, actual: SHA });

    const text = Buffer.from('{"model_type":"llama"}\n');
    const oid = crypto
      .createHash('sha1')
      .update(Buffer.concat([Buffer.from(`blob ${text.length}\0`), text]))
      .digest('hex');
    const b = pool.open(file(), text.length, planRanges(text.length, MB), {
      sha256: null,
      gitOid: oid,
    });
    text.copy(ring.buf);
    await b.write(0, 0, ring, 0, text.length);
    expect(await b.finish()).toBeNull();
    ring.release();
  });

  it('a file that cannot be written fails its writes and its finish with the errno', async () => {
    pool = createWriterPool();
    const f = path.join(tmp.dir, 'no-such-dir', 'blob.incomplete');
    const sink = pool.open(f, DATA.length, planRanges(DATA.length, 4 * MB), {
      sha256: SHA,
      gitOid: 'unused',
    });
    const ring = sink.ring(PIECE);
    DATA.copy(ring.buf, 0, 0, PIECE);
    const err = await sink.write(0, 0, ring, 0, PIECE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteError);
    expect((err as WriteError).code).toBe('ENOENT');
    await expect(sink.finish()).rejects.toThrow(/ENOENT/);
    expect(fs.existsSync(f)).toBe(false);
  });
});
