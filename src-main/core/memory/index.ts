// Memory policy: the user's limit (GB or % of system memory) pushed to the sidecar, pinned
// profiles preloaded at start, and a live status stream polled from GET /admin/memory.
import os from 'node:os';
import { z } from 'zod';
import { CoreError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import { loadOptions } from '../profiles/apply.ts';
import type { Profile } from '../profiles/schema.ts';
import { MemoryLimit, type MemoryStatus } from '../rpc/contract.ts';
import type { Supervisor } from '../sidecar/index.ts';

export const MEMORY_LIMIT_SETTING = 'memory.limit';

const SidecarMemory = z.object({
  limit_bytes: z.number().nullable().optional(),
  active_bytes: z.number(),
  models: z.array(
    z.object({
      id: z.string(),
      footprint_bytes: z.number(),
      pinned: z.boolean(),
      weights: z.string().optional(),
    }),
  ),
  prefix_cache_bytes: z.number().optional(),
  loading: z.array(z.string()).optional(),
  over_limit: z.boolean().optional(),
  evicted: z.array(z.string()).optional(),
});

export function limitToBytes(limit: MemoryLimit, systemBytes = os.totalmem()): number {
  const parsed = MemoryLimit.parse(limit);
  const bytes = 'gb' in parsed ? parsed.gb * 1024 ** 3 : (parsed.percent / 100) * systemBytes;
  return Math.max(1, Math.floor(bytes));
}

export function toMemoryStatus(raw: unknown, systemBytes = os.totalmem()): MemoryStatus {
  const r = SidecarMemory.safeParse(raw);
  if (!r.success)
    throw new CoreError('sidecar_error', 'the sidecar sent an unexpected memory status');
  return {
    limitBytes: r.data.limit_bytes ?? null,
    activeBytes: r.data.active_bytes,
    systemBytes,
    models: r.data.models.map((m) => ({
      id: m.id,
      footprintBytes: m.footprint_bytes,
      pinned: m.pinned,
      ...(m.weights === undefined ? {} : { weights: m.weights }),
    })),
    ...(r.data.prefix_cache_bytes === undefined
      ? {}
      : { prefixCacheBytes: r.data.prefix_cache_bytes }),
    ...(r.data.loading === undefined ? {} : { loading: r.data.loading }),
    ...(r.data.over_limit === undefined ? {} : { overLimit: r.data.over_limit }),
    ...(r.data.evicted === undefined ? {} : { evicted: r.data.evicted }),
  };
}

export async function memoryStatus(sup: Pick<Supervisor, 'json'>): Promise<MemoryStatus> {
  return toMemoryStatus(await sup.json('/admin/memory'));
}

/** Sets the limit; the sidecar unloads idle unpinned models that no longer fit (`evicted`) at once. */
export async function applyMemoryLimit(sup: Supervisor, limit: MemoryLimit): Promise<MemoryStatus> {
  const raw = await sup.json('/admin/memory', {
    method: 'PUT',
    body: JSON.stringify({ limit_bytes: limitToBytes(limit) }),
  });
  return toMemoryStatus(raw);
}

/** Loads every keep-loaded profile's model, pinned; one failure does not stop the others. */
export async function preloadPinned(
  sup: Supervisor,
  profiles: Profile[],
  log: Logger,
): Promise<string[]> {
  const loaded: string[] = [];
  const seen = new Set<string>();
  for (const p of profiles) {
    if (p.params.keep_loaded !== true || seen.has(p.model)) continue;
    seen.add(p.model);
    try {
      await sup.json('/admin/models/load', {
        method: 'POST',
        body: JSON.stringify(loadOptions(p)),
      });
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

/** Polls the sidecar's memory while it is ready; every successful poll is reported. */
export function startMemoryMonitor(opts: {
  sup: Supervisor;
  intervalMs: number;
  onStatus: (s: MemoryStatus) => void;
  log: Logger;
}): { stop(): void } {
  let busy = false;
  const timer = setInterval(() => {
    if (busy || opts.sup.status().state !== 'ready') return;
    busy = true;
    memoryStatus(opts.sup)
      .then(opts.onStatus)
      .catch((e: unknown) => opts.log.debug('memory poll failed', { error: String(e) }))
      .finally(() => {
        busy = false;
      });
  }, opts.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
