// What the sidecar has loaded, as its last memory status said: read without I/O by the library's listing,
// and asked afresh from the sidecar before a model's files are deleted.
import type { MemoryStatus } from '#shared/contract/memory.ts';
import type { Supervisor } from '../sidecar/index.ts';
import { memoryStatus } from './policy.ts';

export interface LoadedModels {
  /** Takes the loaded set from a memory status (every poll, load, unload and limit change). */
  update(s: Pick<MemoryStatus, 'models' | 'loading'>): void;
  /** A model is named by repo id, or by the absolute path it was loaded from. */
  has(repoId: string, path: string): boolean;
  /** Asks the sidecar now; fails (sidecar_*) when a ready sidecar cannot answer. */
  refresh(): Promise<void>;
}

export function loadedModels(sup: Pick<Supervisor, 'json' | 'status'>): LoadedModels {
  let ids = new Set<string>();
  // A sidecar that is not ready holds no model: it is starting, or its process is gone.
  const ready = (): boolean => sup.status().state === 'ready';
  // A model being loaded counts as loaded: its files are being read.
  const update = (s: Pick<MemoryStatus, 'models' | 'loading'>): void => {
    ids = new Set([...s.models.map((m) => m.id), ...(s.loading ?? [])]);
  };
  return {
    update,
    has: (repoId, path) => ready() && (ids.has(repoId) || ids.has(path)),
    async refresh() {
      if (!ready()) ids = new Set();
      else update(await memoryStatus(sup));
    },
  };
}
