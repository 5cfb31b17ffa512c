// RPC handlers of the Memory screen and `orchard ps/load/unload` (models.list/load/unload, memory.*):
// calls into the sidecar's admin API, then the new memory status announced to every client.
import type { memoryMethods, MemoryStatus } from '#shared/contract/memory.ts';
import type { Handlers } from '../rpc/index.ts';
import type { SettingsStore } from '../settings/index.ts';
import {
  sidecarAdmin,
  type AdminModelRow,
  type LoadResponse,
  type Supervisor,
} from '../sidecar/index.ts';
import { applyMemoryLimit, MEMORY_LIMIT_SETTING, memoryStatus } from './policy.ts';

export type MemoryHandlers = Pick<Handlers, keyof typeof memoryMethods>;

export interface MemoryHandlerDeps {
  sup: Pick<Supervisor, 'json'>;
  /** Where the limit is kept, to be applied again at every sidecar start. */
  settings: Pick<SettingsStore, 'set'>;
  /** Fetches and announces the memory status after a load or unload (errors are logged, not thrown). */
  memoryChanged?: () => Promise<void>;
  /** Announces a memory status the handler already has (a new limit and what it evicted). */
  onMemoryStatus?: (s: MemoryStatus) => void;
  /** A load begins: the status is polled often until it ends, so its progress is seen. */
  loadStarted?: () => void;
}

/** One row of the sidecar's GET /admin/models, or its answer to POST /admin/models/load. */
const toLocalModel = (m: AdminModelRow | LoadResponse) => ({
  id: m.id,
  sizeBytes: 'size_bytes' in m ? m.size_bytes : null,
  loaded: m.loaded,
  footprintBytes: m.loaded ? m.footprint_bytes : null,
  pinned: m.loaded ? m.pinned : false,
  idleSeconds: m.loaded ? m.idle_seconds : null,
});

export function memoryHandlers(d: MemoryHandlerDeps): MemoryHandlers {
  const admin = sidecarAdmin(d.sup);
  return {
    'models.list': async () => (await admin.models()).data.map(toLocalModel),
    'models.load': async (input) => {
      d.loadStarted?.();
      try {
        return toLocalModel(await admin.load(input));
      } finally {
        // Announced before answering, so a library.list that follows already sees the load (and any
        // evictions) — also after a refused load, whose models a poll may have seen arrive and not leave.
        await d.memoryChanged?.();
      }
    },
    'models.unload': async ({ model }) => {
      await admin.unload(model);
      await d.memoryChanged?.();
      return { ok: true as const };
    },
    'models.cancelLoad': async ({ model }) => {
      await admin.cancelLoad(model);
      return { ok: true as const };
    },
    'models.countTokens': async ({ model, texts }) => {
      const r = await admin.tokenize(model, texts);
      return {
        loaded: r.loaded,
        counts: r.counts,
        contextLength: r.context_length ?? r.context_window,
      };
    },
    'memory.status': () => memoryStatus(d.sup),
    'memory.setLimit': async ({ limit }) => {
      const status = await applyMemoryLimit(d.sup, limit);
      // Stored only once the sidecar accepted it, so the setting never disagrees with reality.
      d.settings.set(MEMORY_LIMIT_SETTING, limit);
      d.onMemoryStatus?.(status);
      return status;
    },
  };
}
