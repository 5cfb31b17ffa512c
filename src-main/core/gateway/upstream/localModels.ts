// The repo ids the local sidecar can serve, as the gateway's routing sees them: a remembered list, so a
// request never waits for (or competes with) a /v1/models call unless its own name is missing from it.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalBackend } from './attempt.ts';

/**
 * What the request path asks of the local model list: the remembered list and, where the lister has it, a
 * fresh one for a name missing from it (see LocalModelLister.refresh).
 */
export type LocalModels = (() => Promise<string[]>) & {
  refresh?: (acceptAgeMs?: number) => Promise<string[]>;
};

export interface LocalModelLister {
  /** The remembered list; one fetch on first use, then a background refresh when older than maxAgeMs. */
  (): Promise<string[]>;
  /**
   * Without `acceptAgeMs`: a list fetched after this call, for a name missing from the remembered one (a
   * model that was just downloaded). Calls close together share one fetch, and the sidecar is asked at
   * most once per minIntervalMs, so a burst of unknown names waits rather than hammering it.
   * With it: the remembered list if fetched (or tried) that recently, else a fetch now; never a wait for
   * the interval (for listings, and for background refreshes).
   */
  refresh(acceptAgeMs?: number): Promise<string[]>;
}

export interface ListerOptions {
  maxAgeMs?: number;
  minIntervalMs?: number;
  /** A fetch that takes longer (the sidecar restarting) is given up; the remembered list stands. */
  timeoutMs?: number;
}

export function sidecarModelLister(
  local: LocalBackend,
  opts: ListerOptions = {},
): LocalModelLister {
  const maxAgeMs = opts.maxAgeMs ?? 30_000;
  const minIntervalMs = opts.minIntervalMs ?? 1000;
  const timeoutMs = opts.timeoutMs ?? 2000;
  let known: string[] = [];
  let fetchedAt = -Infinity;
  let triedAt = -Infinity;
  let inflight: Promise<string[]> | null = null;
  let pending: Promise<string[]> | null = null;

  const fetchList = (): Promise<string[]> =>
    (inflight ??= (async () => {
      triedAt = performance.now();
      try {
        const res = await local.request('/v1/models', { signal: AbortSignal.timeout(timeoutMs) });
        if (res.ok) {
          const body = (await res.json()) as { data?: Array<{ id?: unknown }> };
          known = (body.data ?? [])
            .map((m) => m.id)
            .filter((id): id is string => typeof id === 'string');
          fetchedAt = performance.now();
        } else await res.body?.cancel();
      } catch {
        // Keep the last known list: a local target then fails at call time and its fallback fires.
      }
      return known;
    })().finally(() => (inflight = null)));

  const list = async (): Promise<string[]> => {
    if (triedAt === -Infinity) return fetchList();
    // A stale list still answers at once (a deleted model fails at the sidecar and falls back); the
    // refresh starts after this turn, so the request's own upstream call goes out first.
    const stale = performance.now() - fetchedAt >= maxAgeMs;
    if (stale && inflight === null && performance.now() - triedAt >= minIntervalMs)
      setImmediate(() => void fetchList());
    return known;
  };

  const refresh = (acceptAgeMs = 0): Promise<string[]> => {
    if (acceptAgeMs > 0) {
      const t = performance.now();
      if (t - fetchedAt <= acceptAgeMs || t - triedAt < minIntervalMs)
        return inflight ?? Promise.resolve(known);
      return fetchList();
    }
    // The fetch starts after any fetch under way (which may predate the caller) and after the interval.
    return (pending ??= (async () => {
      if (inflight) await inflight;
      const wait = triedAt + minIntervalMs - performance.now();
      if (wait > 0) await sleep(wait);
      pending = null;
      return fetchList();
    })());
  };

  return Object.assign(list, { refresh });
}
