// One HTTP Range request of a file: the response checked (status, Content-Range, size), its body read through a
// ring of slots into the file's writer, and a stall (no byte for stallMs) turned into a retryable error.
import type { BodyReader, BodyResponse, Http } from '../hub/index.ts';
import { fatal, transient } from './retry.ts';
import type { ByteRange } from './store.ts';
import { WriteError, type BlobSink } from './writer.ts';

export interface TransferOptions {
  /** Most parallel ranges; a file starts with one and adds more while they raise its rate. */
  connections: number;
  /** How long each connection count is measured before the next is tried (default 1 s). */
  growWindowMs?: number;
  stallMs: number;
  maxRetries: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface TransferCtx {
  http: Http;
  url: string;
  /** Repo path of the file, for messages. */
  name: string;
  size: number;
  /** Mutated in place: pos (index 2) advances as bytes reach the file. */
  ranges: ByteRange[];
  /** Where the bytes go: the file's writer, opened on the same `ranges` (range i here is range i there). */
  sink: BlobSink;
  signal: AbortSignal;
  opts: TransferOptions;
  /** Bytes that reached the file (the ranges have moved past them). */
  onBytes(n: number): void;
  /** A connection waited `ms` for the writer (ring full): this machine, not the network, held it back. */
  onWaited?(ms: number): void;
  /** Where the Hub last sent a request for this file (its CDN), shared by the file's ranges. */
  located?: { url: string | null };
  onRetry?(info: { attempt: number; error: string; delayMs: number }): void;
}

// Each connection reads into a ring of slots shared with the writer: a slot is handed over when full, and the socket
// pauses when none is free (a slow disk pushes back on the network instead of filling memory). Slots fit in a CPU
// core's cache, so the writer copies and hashes bytes that are still there. A file's connections share RING_BYTES:
// a lone fast connection gets all of it to ride out the writer's scheduling hiccups; several get a share each.
export const SLOT = 512 << 10;
export const RING_BYTES = 8 << 20;
export const MIN_SLOTS = 4;
// Progress (and so the speed readout) counts bytes once they reach the file: on a slow link a slot would hold them
// for seconds, so no received byte waits longer than this, even if the next one never comes.
const FLUSH_MS = 100;

function statusError(status: number, name: string, hasToken: boolean): Error {
  if (status === 401 || status === 403) {
    return fatal(
      'unauthorized',
      hasToken
        ? `${name}: the Hub refused access (HTTP ${status}); accept the model's terms on its Hub page with the account of your token`
        : `${name}: the model is gated or private (HTTP ${status}); accept its terms on the Hub and set a Hugging Face token`,
    );
  }
  if (status === 404) return fatal('not_found', `${name}: not found on the Hub (HTTP 404)`);
  if (status === 416)
    return fatal(
      'conflict',
      `${name}: the Hub refused the byte range (HTTP 416); the file changed`,
    );
  if (status === 429 || status >= 500)
    return transient(`${name}: the Hub answered HTTP ${status}`, { status });
  return fatal('internal', `${name}: unexpected HTTP ${status}`);
}

/**
 * Reads one response body into a ring and hands each filled region to the writer. Resolves when the body is over:
 * `complete` when the range got all its bytes, `error` for what ended it early; `tail` settles once every byte
 * read is in the file (with the writer's error, if any), so a complete range's next request need not wait for it.
 */
async function receive(
  ctx: TransferCtx,
  idx: number,
  range: ByteRange,
  res: BodyResponse,
  slots: number,
  onActivity: () => void,
): Promise<{ complete: boolean; error: unknown; tail: Promise<unknown> }> {
  const end = range[1];
  const ring = ctx.sink.ring(SLOT * slots);
  const free = Array.from({ length: slots - 1 }, (_, i) => i + 1);
  /** Regions handed over and not yet acknowledged, per slot. */
  const inFlight = new Array<number>(slots).fill(0);
  let cur = 0;
  /** Bytes read into the current slot, and how many of them are handed over. */
  let fill = 0;
  let posted = 0;
  /** Handed over, not yet in the file. */
  let unacked = 0;
  let paused = false;
  let pausedAt = 0;
  let complete = false;
  /** When the oldest byte not yet handed over arrived, and the timer that hands it over if no more come. */
  let heldSince = 0;
  let held: NodeJS.Timeout | null = null;
  let writeError: unknown = null;
  /** Settles after the last region handed over so far (acknowledgements arrive in order); never rejects. */
  let drained: Promise<void> = Promise.resolve();

  const post = (): void => {
    const n = fill - posted;
    if (n === 0 || writeError !== null) return;
    const slot = cur;
    const at = range[2] + unacked;
    const off = slot * SLOT + posted;
    posted = fill;
    unacked += n;
    inFlight[slot]!++;
    drained = ctx.sink.write(idx, at, ring, off, n).then(
      () => {
        unacked -= n;
        range[2] += n;
        onActivity();
        ctx.onBytes(n);
        if (--inFlight[slot]! === 0 && slot !== cur) free.push(slot);
        if (paused && free.length > 0) {
          paused = false;
          ctx.onWaited?.(Date.now() - pausedAt);
          res.resume();
        }
      },
      (e: unknown) => {
        unacked -= n;
        writeError ??= e;
        res.discard();
      },
    );
  };

  // One timer per connection, re-armed lazily (not per slot): it hands over bytes held longer than FLUSH_MS.
  const onHeld = (): void => {
    held = null;
    if (fill === posted) return;
    const wait = heldSince + FLUSH_MS - Date.now();
    if (wait > 0) held = setTimeout(onHeld, wait);
    else post();
  };

  const reader: BodyReader = {
    // Never empty: the connection pauses while a spare slot is missing, before the current one fills up.
    buffer: () => ring.buf.subarray(cur * SLOT + fill, (cur + 1) * SLOT),
    onData(n) {
      onActivity();
      if (complete) return false;
      // A server that sends more than the range asked for (a 200 for the whole file) is cut off at its end.
      const take = Math.min(n, end - (range[2] + unacked + fill - posted));
      if (fill === posted) {
        heldSince = Date.now();
        held ??= setTimeout(onHeld, FLUSH_MS);
      }
      fill += take;
      if (range[2] + unacked + fill - posted >= end) {
        complete = true;
        post();
        res.discard();
        return false;
      }
      if (fill < SLOT) return true;
      post();
      cur = free.shift()!;
      fill = posted = 0;
      if (free.length > 0) return true;
      paused = true;
      pausedAt = Date.now();
      return false;
    },
  };

  let error: unknown = null;
  try {
    await res.read(reader);
  } catch (e) {
    error = e;
  }
  // Whatever reached memory is written before the outcome is known, so progress is never lost.
  if (held) clearTimeout(held);
  post();
  const tail = drained.then(() => {
    ring.release();
    return writeError;
  });
  return { complete: complete && writeError === null, error, tail };
}

/** Wrapped, so that awaiting the fetch does not wait for the writes too. */
export interface Written {
  written: Promise<void>;
}

function writeFailure(name: string, err: unknown): Error {
  if (err instanceof WriteError && err.code === 'ENOSPC') {
    return fatal('conflict', `disk full while writing ${name}; the bytes fetched so far are kept`, {
      diskFull: true,
    });
  }
  const msg = err instanceof Error ? err.message : String(err);
  return fatal('internal', `${name}: cannot write the file (${msg})`);
}

export async function fetchOnce(
  ctx: TransferCtx,
  idx: number,
  range: ByteRange,
  signal: AbortSignal,
  slots: number,
): Promise<Written> {
  const ac = new AbortController();
  const onParent = (): void => ac.abort(signal.reason);
  signal.addEventListener('abort', onParent, { once: true });
  let last = Date.now();
  const tick = Math.max(10, Math.min(1000, Math.floor(ctx.opts.stallMs / 4)));
  const watchdog = setInterval(() => {
    if (Date.now() - last > ctx.opts.stallMs) {
      ac.abort(
        transient(`${ctx.name}: stalled (no data for ${(ctx.opts.stallMs / 1000).toFixed(1)} s)`, {
          stall: true,
        }),
      );
    }
  }, tick);
  try {
    const [, end] = range;
    const init = {
      headers: { range: `bytes=${range[2]}-${end - 1}`, 'accept-encoding': 'identity' },
      signal: ac.signal,
    };
    // The file's later ranges go straight to where the Hub redirected the first (a round trip less each, as
    // hf_transfer does); when that address answers anything but the bytes (expired, moved), the Hub is asked again.
    const located = ctx.located;
    let res = await ctx.http.get(located?.url ?? ctx.url, init);
    if (located?.url && res.status !== 206 && res.status !== 200) {
      res.discard();
      located.url = null;
      res = await ctx.http.get(ctx.url, init);
    }
    if (located && (res.status === 206 || res.status === 200)) located.url = res.url;
    last = Date.now();
    if (res.status !== 206 && res.status !== 200) {
      res.discard();
      throw statusError(res.status, ctx.name, ctx.http.token() !== null);
    }
    if (res.status === 200 && range[2] !== 0) {
      res.discard();
      throw fatal('internal', `${ctx.name}: the server ignored the byte range; cannot resume`);
    }
    if (res.status === 206) {
      const cr = res.header('content-range') ?? '';
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr);
      if (!m || Number(m[1]) !== range[2]) {
        res.discard();
        throw transient(`${ctx.name}: bad Content-Range "${cr}"`);
      }
      if (m[3] !== '*' && Number(m[3]) !== ctx.size) {
        res.discard();
        throw fatal(
          'conflict',
          `${ctx.name}: the file on the Hub is ${m[3]} bytes, expected ${ctx.size}; it changed since the listing`,
        );
      }
    }
    // Writes that move the range forward count as activity too: a slow disk is not a stalled connection.
    const got = await receive(ctx, idx, range, res, slots, () => (last = Date.now()));
    if (got.complete) {
      // Every byte arrived: the next range's request goes out while the writer finishes this one's.
      return {
        written: got.tail.then((err) => {
          if (err !== null) throw writeFailure(ctx.name, err);
        }),
      };
    }
    // Ended early: the range's position must be final before a retry asks for the rest.
    const err = await got.tail;
    if (err !== null) throw writeFailure(ctx.name, err);
    if (got.error !== null) throw got.error;
    throw transient(`${ctx.name}: connection closed at byte ${range[2]} of ${end}`);
  } catch (e) {
    // An abort by the watchdog surfaces as its reason; an abort by the caller (pause/cancel) as the caller's.
    if (ac.signal.aborted && !signal.aborted) throw ac.signal.reason as Error;
    throw e;
  } finally {
    clearInterval(watchdog);
    signal.removeEventListener('abort', onParent);
  }
}
