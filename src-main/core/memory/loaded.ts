// What the sidecar has loaded, as its last memory status said: read without I/O by the library's listing,
// and asked afresh from the sidecar before a model's files are deleted.
import type { MemoryStatus } from '../rpc/contract.ts';
import type { Supervisor } from '../sidecar/index.ts';
import { memoryStatus } from './index.ts';

export function loadedModels(sup: Pick<Supervisor, 'json' | 'status'>) {
  let ids = new Set<string>();
  // A sidecar that is not ready holds no model: it is starting, or its process is gone.
  const ready = (): boolean => sup.status().state === 'ready';
  // A model being loaded counts as loaded: its files are being read.
  const update = (s: Pick<MemoryStatus, 'models' | 'loading'>): void => {
    ids = new Set([...s.models.map((m) => m.id), ...(s.loading ?? [])]);
  };
  return {
    update,
    /** A model is named by repo id, or by the absolute path it was loaded from. */
    has: (repoId: string, path: string): boolean => ready() && (ids.has(repoId) || ids.has(path)),
    /** Asks the sidecar now; fails (sidecar_*) when a ready sidecar cannot answer. */
    async refresh(): Promise<void> {
      if (!ready()) ids = new Set();
      else update(await memoryStatus(sup));
    },
  };
}
export type LoadedModels = ReturnType<typeof loadedModels>;
