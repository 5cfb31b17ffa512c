// Paces a stream's updates to what the page can draw: pieces are applied as they come while applying
// is cheap, and merged into later batches once it is not (the answer's Markdown is rendered whole, so
// each update costs more as the text grows); a fast model then never starves the page of frames.

export interface Pacer<T> {
  /** Queues a piece; it is applied now, or with the next batch when the last one was costly. */
  push(piece: T): void;
  /** Applies whatever is queued, now (the stream ended or was stopped). */
  flush(): void;
}

export interface PacerOptions {
  /** Largest share of the time spent applying batches (the rest is left for layout, paint, input). */
  share?: number;
  now?: () => number;
}

/** Rests shorter than this are not worth a timer: the pieces are applied at once. */
const MIN_REST_MS = 2;

export function pacer<T>(apply: (batch: T[]) => void, opts: PacerOptions = {}): Pacer<T> {
  const share = opts.share ?? 0.25;
  const now = opts.now ?? (() => performance.now());
  let queue: T[] = [];
  let notBefore = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const run = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (!queue.length) return;
    const batch = queue;
    queue = [];
    const start = now();
    apply(batch);
    const end = now();
    // A batch that took c ms is followed by at least c·(1/share − 1) ms of rest.
    notBefore = end + (end - start) * (1 / share - 1);
  };

  return {
    push(piece) {
      queue.push(piece);
      if (timer !== null) return;
      const wait = notBefore - now();
      if (wait < MIN_REST_MS) run();
      // Rounded up: timers round their delay down to whole milliseconds.
      else timer = setTimeout(run, Math.ceil(wait));
    },
    flush: run,
  };
}
