// Memory policy: the user's limit (GB or % of system memory) pushed to the sidecar, pinned
// profiles preloaded at start, and a live status stream polled from GET /admin/memory.
import os from 'node:os';
import type { Logger } from '../log/index.ts';
import { loadOptions } from '../profiles/index.ts';
import { MemoryLimit, type MemoryStatus } from '#shared/contract/memory.ts';
import type { Profile } from '#shared/contract/profiles.ts';
import {
  sidecarAdmin,
  type MemoryResponse,
  type MemoryUpdateResponse,
  type Supervisor,
} from '../sidecar/index.ts';

export const MEMORY_LIMIT_SETTING = 'memory.limit';

export function limitToBytes(limit: MemoryLimit, systemBytes = os.totalmem()): number {
  const parsed = MemoryLimit.parse(limit);
  const bytes = 'gb' in parsed ? parsed.gb * 1024 ** 3 : (parsed.percent / 100) * systemBytes;
  return Math.max(1, Math.floor(bytes));
}

/** The sidecar's memory document (already checked by the admin client) as the UI's MemoryStatus. */
export function toMemoryStatus(
  r: MemoryResponse | MemoryUpdateResponse,
  systemBytes = os.totalmem(),
): MemoryStatus {
  return {
    limitBytes: r.limit_bytes,
    activeBytes: r.active_bytes,
    systemBytes,
    models: r.models.map((m) => ({
      id: m.id,
      footprintBytes: m.footprint_bytes,
      pinned: m.pinned,
      weights: m.weights,
      ...(m.draft_of.length ? { draftOf: m.draft_of } : {}),
    })),
    prefixCacheBytes: r.prefix_cache_bytes,
    diskPrefixCache: {
      bytes: r.disk_prefix_cache.bytes,
      budgetBytes: r.disk_prefix_cache.budget_bytes,
      entries: r.disk_prefix_cache.entries,
    },
    loading: r.loading,
    loads: r.loads.map((l) => ({
      id: l.id,
      doneBytes: l.done_bytes,
      totalBytes: l.total_bytes,
      seconds: l.seconds,
    })),
    overLimit: r.over_limit,
    ...('evicted' in r ? { evicted: r.evicted } : {}),
  };
}

export async function memoryStatus(sup: Pick<Supervisor, 'json'>): Promise<MemoryStatus> {
  return toMemoryStatus(await sidecarAdmin(sup).memory());
}

/** Sets the limit; the sidecar unloads idle unpinned models that no longer fit (`evicted`) at once. */
export async function applyMemoryLimit(
  sup: Pick<Supervisor, 'json'>,
  limit: MemoryLimit,
): Promise<MemoryStatus> {
  return toMemoryStatus(await sidecarAdmin(sup).setMemory({ limit_bytes: limitToBytes(limit) }));
}

/** Loads every keep-loaded profile's model, pinned; one failure does not stop the others. */
export async function preloadPinned(
  sup: Pick<Supervisor, 'json'>,
  profiles: Profile[],
  log: Logger,
): Promise<string[]> {
  const loaded: string[] = [];
  const seen = new Set<string>();
  for (const p of profiles) {
    if (p.params.keep_loaded !== true || seen.has(p.model)) continue;
    seen.add(p.model);
    try {
      await sidecarAdmin(sup).load(loadOptions(p));
      loaded.push(p.model);
    } catch (e) {
      log.warn('could not preload a pinned model', {
        model: p.model,
        profile: p.name,
        error: String(e),
      });
    }
  }
  return loaded;
}

/**
 * Polls the sidecar's memory while it is ready; every successful poll is reported. While a load is
 * under way (or right after `loadStarted`) it polls every `loadIntervalMs`, so progress moves smoothly.
 * `changed()` marks a status fetched for a change (load, unload, new limit): a poll that was already under
 * way is then dropped, so a slow poll never brings back a model the change just removed.
 */
export function startMemoryMonitor(opts: {
  sup: Supervisor;
  intervalMs: number;
  loadIntervalMs?: number;
  onStatus: (s: MemoryStatus) => void;
  log: Logger;
}): { stop(): void; loadStarted(): void; changed(): void } {
  const fast = Math.min(opts.loadIntervalMs ?? 150, opts.intervalMs);
  let busy = false;
  let loading = false;
  let fastUntil = 0; // a load just asked for may not have reached the sidecar by the next poll
  let last = 0;
  let changes = 0;
  const timer = setInterval(() => {
    const due = loading || Date.now() < fastUntil || Date.now() - last >= opts.intervalMs;
    if (!due || busy || opts.sup.status().state !== 'ready') return;
    busy = true;
    last = Date.now();
    const at = changes;
    memoryStatus(opts.sup)
      .then((s) => {
        loading = (s.loading?.length ?? 0) > 0;
        if (at === changes) opts.onStatus(s);
      })
      .catch((e: unknown) => opts.log.debug('memory poll failed', { error: String(e) }))
      .finally(() => {
        busy = false;
      });
  }, fast);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    loadStarted: () => {
      fastUntil = Date.now() + 2000;
    },
    changed: () => {
      changes++;
    },
  };
}
