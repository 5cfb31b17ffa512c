// Writes downloaded bytes into .incomplete blobs and hashes them (sha256 for LFS files, the git blob sha1 for the
// others) in file order, on one worker thread, from shared rings the sockets read into: no byte is copied twice.
import { Worker } from 'node:worker_threads';
import type { ByteRange } from './store.ts';

export interface Expected {
  sha256: string | null;
  gitOid: string;
}

export interface Mismatch {
  kind: string;
  expected: string;
  actual: string;
}

/** A failed write, with the errno code (ENOSPC for a full disk). */
export class WriteError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.name = 'WriteError';
    this.code = code;
  }
}

/** Memory shared with the writer: a connection reads into it and hands regions over. */
export interface Ring {
  id: number;
  buf: Buffer;
  /** Back to the pool, once no region of it is still handed over. */
  release(): void;
}

export interface BlobSink {
  /**
   * Hands over `len` bytes of `ring` from `off`: the bytes of range `r` (index in the ranges the sink was opened
   * with) from file offset `at`. Resolves once they are in the file (the page cache: they survive a kill of this
   * process) and hashed if in order, so the region can take new bytes.
   */
  write(r: number, at: number, ring: Ring, off: number, len: number): Promise<void>;
  /** After the last write has resolved: hashes what is left, then null when the content is as expected. */
  finish(signal?: AbortSignal): Promise<Mismatch | null>;
  /** Stops writing and hashing this file (pause, cancel, error); safe to call after finish. */
  close(): void;
  /** A ring for one connection of this file (from the pool's). */
  ring(bytes: number): Ring;
}

export interface WriterPool {
  open(file: string, size: number, ranges: readonly ByteRange[], expected: Expected): BlobSink;
  /** A ring of `bytes` (rings are reused; the pool drops them when no file is open). */
  ring(bytes: number): Ring;
  /** Starts the worker ahead of the first file, so its start-up overlaps the metadata requests. */
  warm(): void;
  close(): Promise<void>;
}

// Plain JS so the worker runs the same under tsx, vitest and Electron. Messages of one file are handled in order,
// so a write's acknowledgement also says every earlier write of that file reached the file.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const files = new Map();
const rings = new Map();
// Read-back of bytes that arrived out of order (parallel ranges, a resumed prefix), in pieces that stay in the
// CPU cache while they are hashed; catching up goes in steps so the writes queued meanwhile are not held up.
const READ = 1 << 20;
const STEP = 8 << 20;
let rbuf = null;
let pumping = false;

// The bytes on disk without a gap from 0 end where the first unfinished range (in file order) stands.
function frontier(f) {
  while (f.front < f.order.length && f.ranges[f.order[f.front]][2] >= f.ranges[f.order[f.front]][1]) f.front++;
  return f.front < f.order.length ? f.ranges[f.order[f.front]][2] : f.size;
}
function readBack(f, limit) {
  const end = Math.min(frontier(f), f.hashed + limit);
  while (f.hashed < end) {
    rbuf = rbuf || Buffer.allocUnsafe(READ);
    const n = fs.readSync(f.fd, rbuf, 0, Math.min(READ, end - f.hashed), f.hashed);
    if (n === 0) throw new Error('the file is shorter on disk than its recorded progress');
    f.h.update(rbuf.subarray(0, n));
    f.hashed += n;
  }
  return f.hashed < frontier(f);
}
function fail(id, f, e) {
  f.error = String((e && e.message) || e);
  f.code = e && e.code;
  parentPort.postMessage({ id, error: f.error, code: f.code });
}
function pump() {
  pumping = false;
  let more = false;
  for (const [id, f] of files) {
    if (f.error !== null || f.fd === null) continue;
    try {
      if (readBack(f, STEP)) more = true;
    } catch (e) {
      fail(id, f, e);
    }
  }
  if (more) schedule();
}
function schedule() {
  if (!pumping) {
    pumping = true;
    setImmediate(pump);
  }
}
parentPort.on('message', (m) => {
  if (m.op === 'ring') {
    rings.set(m.ring, Buffer.from(m.sab));
    return;
  }
  if (m.op === 'unring') {
    rings.delete(m.ring);
    return;
  }
  if (m.op === 'open') {
    const order = m.ranges.map((_, i) => i).sort((a, b) => m.ranges[a][0] - m.ranges[b][0]);
    const f = { size: m.size, ranges: m.ranges, order, front: 0, h: crypto.createHash(m.algo), fd: null,
      hashed: 0, error: null, code: undefined };
    if (m.prefix) f.h.update(m.prefix);
    files.set(m.id, f);
    try {
      f.fd = fs.openSync(m.file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    } catch (e) {
      fail(m.id, f, e);
      return;
    }
    schedule(); // a resumed file: its prefix on disk is hashed once, now
    return;
  }
  const f = files.get(m.id);
  if (!f) return;
  if (m.op === 'write') {
    // After a failed write, later ones must not look as if the bytes before them were there.
    if (f.error !== null) return;
    const b = rings.get(m.ring).subarray(m.off, m.off + m.len);
    try {
      for (let off = 0; off < b.length; ) off += fs.writeSync(f.fd, b, off, b.length - off, m.at + off);
    } catch (e) {
      fail(m.id, f, e);
      return;
    }
    f.ranges[m.r][2] = m.at + m.len;
    // In order (one connection, or the range at the front): hashed now, while the bytes are in the CPU cache.
    if (f.hashed === m.at) {
      f.h.update(b);
      f.hashed += m.len;
    }
    parentPort.postMessage({ id: m.id });
    if (f.hashed < frontier(f)) schedule();
    return;
  }
  if (m.op === 'digest') {
    files.delete(m.id);
    try {
      if (f.error === null) readBack(f, Infinity);
    } catch (e) {
      fail(m.id, f, e);
    }
    try { if (f.fd !== null) fs.closeSync(f.fd); } catch {}
    if (f.error === null) parentPort.postMessage({ id: m.id, hashed: f.hashed, hex: f.h.digest('hex') });
    return;
  }
  if (m.op === 'drop') {
    files.delete(m.id);
    try { if (f.fd !== null) fs.closeSync(f.fd); } catch {}
  }
});
`;

interface Reply {
  id: number;
  hashed?: number;
  hex?: string;
  error?: string;
  code?: string;
}

/** One writer worker for a download manager, started on first use and held only while files are open. */
export function createWriterPool(): WriterPool {
  let worker: Worker | null = null;
  let nextId = 1;
  const handlers = new Map<number, (r: Reply) => void>();
  /** Rings the worker knows, free ones by size. */
  const freeRings = new Map<number, Ring[]>();
  let nextRing = 1;

  function getWorker(): Worker {
    if (!worker) {
      // No execArgv: the worker is plain JS and needs none of the parent's loaders (tsx alone costs ~100 ms).
      const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
      w.on('message', (r: Reply) => handlers.get(r.id)?.(r));
      w.on('error', (e) => {
        for (const [id, h] of handlers) h({ id, error: `writer worker failed: ${e.message}` });
      });
      w.on('exit', (code) => {
        // Files still open on it would wait for answers that never come.
        for (const [id, h] of handlers) h({ id, error: `writer worker exited (code ${code})` });
        if (worker !== w) return;
        worker = null;
        freeRings.clear(); // they were registered with the worker that is gone
      });
      worker = w;
    }
    return worker;
  }
  const hold = (): void => {
    if (handlers.size > 0) return void worker?.ref();
    worker?.unref(); // an idle worker never keeps the process alive
    // Nor holds memory: rings are made again for the next download.
    for (const list of freeRings.values())
      for (const r of list) worker?.postMessage({ op: 'unring', ring: r.id });
    freeRings.clear();
  };

  function ring(bytes: number): Ring {
    const list = freeRings.get(bytes) ?? [];
    const reused = list.pop();
    if (reused) return reused;
    const w = getWorker();
    const sab = new SharedArrayBuffer(bytes);
    const r: Ring = {
      id: nextRing++,
      buf: Buffer.from(sab),
      release: () => {
        if (worker !== w) return; // its worker is gone: nothing to give back to
        const l = freeRings.get(bytes) ?? [];
        l.push(r);
        freeRings.set(bytes, l);
        if (handlers.size === 0) hold();
      },
    };
    w.postMessage({ op: 'ring', ring: r.id, sab });
    return r;
  }

  function open(
    file: string,
    size: number,
    ranges: readonly ByteRange[],
    expected: Expected,
  ): BlobSink {
    const kind = expected.sha256 ? 'sha256' : 'git-sha1';
    const id = nextId++;
    const w = getWorker();
    /** Acknowledgements awaited, in the order the writes were sent (the worker answers in that order). */
    const acks: Array<{ resolve(): void; reject(e: Error): void }> = [];
    let failed: WriteError | null = null;
    let closed = false;
    let done: { hashed: number; hex: string } | null = null;
    let wake: (() => void) | null = null;

    handlers.set(id, (r) => {
      if (r.error !== undefined) {
        failed ??= new WriteError(`${file}: ${r.error}`, r.code);
        // Everything sent after the failing write fails with it: the worker drops those writes.
        for (const a of acks.splice(0)) a.reject(failed);
      } else if (r.hex !== undefined) done = { hashed: r.hashed!, hex: r.hex };
      else acks.shift()?.resolve();
      wake?.();
    });
    hold();
    w.postMessage({
      op: 'open',
      id,
      file,
      size,
      ranges: ranges.map((r) => [...r]),
      algo: kind === 'sha256' ? 'sha256' : 'sha1',
      prefix: kind === 'git-sha1' ? `blob ${size}\0` : null,
    });

    const close = (): void => {
      if (closed) return;
      closed = true;
      handlers.delete(id);
      const reason = new WriteError(`${file}: closed`, undefined);
      for (const a of acks.splice(0)) a.reject(reason);
      if (!done) w.postMessage({ op: 'drop', id });
      hold();
    };
    return {
      write(r, at, rg, off, len) {
        if (failed) return Promise.reject(failed);
        if (closed) return Promise.reject(new WriteError(`${file}: closed`, undefined));
        return new Promise<void>((resolve, reject) => {
          acks.push({ resolve, reject });
          w.postMessage({ op: 'write', id, r, at, ring: rg.id, off, len });
        });
      },
      async finish(signal) {
        try {
          if (failed) throw failed;
          w.postMessage({ op: 'digest', id });
          while (failed === null && done === null) {
            if (signal?.aborted) throw signal.reason as Error;
            await new Promise<void>((r) => {
              wake = r;
              signal?.addEventListener('abort', () => r(), { once: true });
            });
          }
          if (failed) throw failed;
          const { hashed, hex } = done!;
          if (hashed !== size) throw new Error(`${file}: hashed ${hashed} of ${size} bytes`);
          const want = kind === 'sha256' ? expected.sha256! : expected.gitOid;
          if (kind === 'git-sha1' && !want) return null;
          return hex === want
            ? null
            : { kind: kind === 'sha256' ? 'sha256' : 'git blob sha1', expected: want, actual: hex };
        } finally {
          close();
        }
      },
      close,
      ring,
    };
  }

  return {
    open,
    ring,
    warm: () => {
      getWorker();
      hold();
    },
    async close() {
      const w = worker;
      worker = null;
      freeRings.clear();
      await w?.terminate();
    },
  };
}
