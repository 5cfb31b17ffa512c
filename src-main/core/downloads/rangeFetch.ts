// Fetches the missing byte ranges of one file into its .incomplete blob with HTTP Range requests, in parallel while
// that pays, each retried with backoff on network errors, stalls (no byte for stallMs), 5xx and short bodies.
import {
  fetchOnce,
  MIN_SLOTS,
  RING_BYTES,
  SLOT,
  type TransferCtx,
  type Written,
} from './rangeRequest.ts';
import { backoffMs, fatal, isRetryable, sleep } from './retry.ts';
import type { ByteRange } from './store.ts';

// Parallel ranges pay off when each connection is held back by the network (latency, a CDN's per-connection
// limit), not when one already brings bytes as fast as this machine takes them, where more only cost CPU, memory
// and bytes lost at a kill: a file starts with one connection and adds one per window while its rate keeps rising,
// and not while its connections wait on the writer (the disk or the CPU is the limit then).
const GROW_WINDOW_MS = 1000;
const GROW_GAIN = 1.15;
const LOCAL_BOUND = 0.1;

/** Splits a file into ranges of `chunk` bytes; bytes below `prefix` are already on disk. */
export function planRanges(size: number, chunk: number, prefix = 0): ByteRange[] {
  const out: ByteRange[] = [];
  const n = Math.max(1, Math.ceil(size / chunk));
  for (let i = 0; i < n; i++) {
    const start = i * chunk;
    const end = Math.min(size, (i + 1) * chunk);
    out.push([start, end, Math.min(end, Math.max(start, prefix))]);
  }
  return out;
}

export function rangeBytesDone(ranges: readonly ByteRange[]): number {
  return ranges.reduce((a, [s, , p]) => a + (p - s), 0);
}

/** Fetches one range, retrying; resolves when all its bytes arrived, with a promise of them being in the file. */
async function runRange(
  ctx: TransferCtx,
  idx: number,
  signal: AbortSignal,
  slots: () => number,
): Promise<Written> {
  const range = ctx.ranges[idx]!;
  let failures = 0;
  while (range[2] < range[1]) {
    const before = range[2];
    try {
      // A small file (config, tokenizer) needs no more than a slot and its spare.
      return await fetchOnce(ctx, idx, range, signal, range[1] - range[2] <= SLOT ? 2 : slots());
    } catch (e) {
      if (signal.aborted) throw signal.reason as Error;
      if (!isRetryable(e)) throw e;
      // Attempts that moved the range forward do not count: a flaky link that keeps delivering still finishes.
      failures = range[2] > before ? 1 : failures + 1;
      const msg = e instanceof Error ? e.message : String(e);
      if (failures > ctx.opts.maxRetries) {
        throw fatal(
          'internal',
          `${ctx.name}: gave up after ${ctx.opts.maxRetries} attempts without progress (${msg})`,
        );
      }
      const delayMs = backoffMs(failures, ctx.opts.backoffBaseMs, ctx.opts.backoffMaxMs);
      ctx.onRetry?.({ attempt: failures, error: msg, delayMs });
      await sleep(delayMs, signal);
    }
  }
  return { written: Promise.resolve() };
}

export async function transfer(ctx: TransferCtx): Promise<void> {
  const ac = new AbortController();
  const onParent = (): void => ac.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onParent, { once: true });
  let grow: NodeJS.Timeout | undefined;
  try {
    const queue = ctx.ranges.flatMap(([, end, pos], i) => (pos < end ? [i] : []));
    const most = Math.max(1, Math.min(ctx.opts.connections, queue.length));
    let moved = 0;
    let waited = 0;
    const counted: TransferCtx = {
      ...ctx,
      onBytes: (n) => {
        moved += n;
        ctx.onBytes(n);
      },
      onWaited: (ms) => (waited += ms),
      located: { url: null },
    };
    let firstError: unknown = null;
    /** Connections running, and how many there should be (one leaves at its next range when above). */
    let running = 0;
    let target = 1;
    const slots = (): number => Math.max(MIN_SLOTS, Math.floor(RING_BYTES / SLOT / target));
    const fail = (e: unknown): void => {
      if (firstError === null) firstError = e;
      // One fatal range stops its siblings; a pause or cancel stops them all anyway.
      if (!ac.signal.aborted) ac.abort(e);
    };
    const worker = async (): Promise<void> => {
      running++;
      /** Ranges whose bytes all arrived, still being written. */
      const tails: Array<Promise<void>> = [];
      try {
        for (
          let i = queue.shift();
          i !== undefined;
          i = running > target ? undefined : queue.shift()
        ) {
          tails.push((await runRange(counted, i, ac.signal, slots)).written.catch(fail));
        }
      } catch (e) {
        fail(e);
      } finally {
        await Promise.all(tails);
        running--;
      }
    };
    const workers = [worker()];
    if (most > 1) {
      const windowMs = ctx.opts.growWindowMs ?? GROW_WINDOW_MS;
      /** Rate before the last connection was added, while that one is on trial. */
      let before: number | null = null;
      let mark = 0;
      let waitMark = 0;
      grow = setInterval(() => {
        const rate = moved - mark;
        const wait = waited - waitMark;
        mark = moved;
        waitMark = waited;
        if (ac.signal.aborted || rate === 0) return; // retrying or starting: nothing to judge by yet
        if (before !== null && rate <= before * GROW_GAIN) {
          // The connection added last did not pay for itself: it leaves after its range, and the count stays.
          target = Math.max(1, target - 1);
          clearInterval(grow);
          return;
        }
        before = null;
        if (wait > windowMs * running * LOCAL_BOUND) return; // the writer is the limit: more would not help
        if (running === target && target < most && queue.length > 0) {
          before = rate;
          target++;
          workers.push(worker());
        }
      }, windowMs);
    }
    for (let i = 0; i < workers.length; i++) await workers[i];
    if (ctx.signal.aborted) throw ctx.signal.reason as Error;
    if (firstError !== null) throw firstError as Error;
  } finally {
    clearInterval(grow);
    ctx.signal.removeEventListener('abort', onParent);
  }
}
