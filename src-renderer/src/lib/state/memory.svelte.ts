// Memory screen state: the live status from core's memoryStatus events, a rolling history for the
// chart (kept while the app runs, whatever page is open), and setting the limit.
import { loadPercent, MemoryLimit, type MemoryStatus } from '#shared/contract/memory.ts';
import type { AppState } from './app.svelte.ts';
import { errorMessage } from '../ui/validation.ts';

export interface Sample {
  t: number;
  activeBytes: number;
  limitBytes: number | null;
}

export const HISTORY_MS = 5 * 60_000;
export const GB = 1024 ** 3;

export type LimitResult = { ok: true } | { ok: false; message: string };

export class MemoryState {
  readonly app: AppState;
  status = $state<MemoryStatus | null>(null);
  history = $state<Sample[]>([]);
  error = $state<string | null>(null);
  saved = $state<string | null>(null);

  constructor(app: AppState) {
    this.app = app;
    app.api.on('memoryStatus', (s) => this.#take(s));
  }

  async refresh(): Promise<void> {
    try {
      this.#take(await this.app.api.call('memory.status'));
      this.error = null;
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  /** Loaded models in eviction order: unpinned, least recently used first; pinned ones last (never evicted). */
  readonly lru = $derived.by(() => {
    const models = this.status?.models ?? [];
    const idle: Record<string, number> = Object.fromEntries(
      this.app.models.map((m) => [m.id, m.idleSeconds ?? 0]),
    );
    return [...models].sort(
      (a, b) => Number(a.pinned) - Number(b.pinned) || (idle[b.id] ?? 0) - (idle[a.id] ?? 0),
    );
  });

  /** The prefix cache on disk with its share of the budget in whole percent; null when it is off. */
  readonly diskCache = $derived.by(() => {
    const d = this.status?.diskPrefixCache;
    if (!d || d.budgetBytes <= 0) return null;
    return { ...d, percent: Math.min(100, Math.round((d.bytes / d.budgetBytes) * 100)) };
  });

  /** Loads under way, each with its whole percent of weights read (null while the total is unknown). */
  readonly loads = $derived.by(() => {
    const rows = this.status?.loads ?? [];
    return (this.status?.loading ?? []).map((id) => {
      const row = rows.find((r) => r.id === id);
      return { id, percent: row ? loadPercent(row) : null };
    });
  });

  /** Stops a load under way; the sidecar gives its memory back. */
  async cancelLoad(model: string): Promise<void> {
    try {
      await this.app.api.call('models.cancelLoad', { model });
      this.error = null;
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  /** Validates with the contract's schema (and against this machine's memory) before anything is sent. */
  check(
    mode: 'gb' | 'percent',
    value: number | null,
  ): { ok: true; limit: MemoryLimit } | { ok: false; message: string } {
    if (value === null || !Number.isFinite(value)) return { ok: false, message: 'enter a number' };
    const parsed = MemoryLimit.safeParse(mode === 'gb' ? { gb: value } : { percent: value });
    if (!parsed.success)
      return {
        ok: false,
        message:
          mode === 'gb' ? 'enter a size above 0 GB' : 'enter a percentage above 0 and at most 100',
      };
    const system = this.status?.systemBytes;
    if (mode === 'gb' && system && value * GB > system)
      return { ok: false, message: `this machine has ${(system / GB).toFixed(1)} GB` };
    return { ok: true, limit: parsed.data };
  }

  async setLimit(mode: 'gb' | 'percent', value: number | null): Promise<LimitResult> {
    const c = this.check(mode, value);
    if (!c.ok) return c;
    try {
      this.#take(await this.app.api.call('memory.setLimit', { limit: c.limit }));
      await this.app.refreshModels();
      this.saved = `Memory limit set to ${mode === 'gb' ? `${value} GB` : `${value}%`}.`;
      return { ok: true };
    } catch (e) {
      return { ok: false, message: errorMessage(e) };
    }
  }

  #take(s: MemoryStatus): void {
    this.status = s;
    const now = Date.now();
    this.history = [
      ...this.history.filter((x) => x.t >= now - HISTORY_MS),
      { t: now, activeBytes: s.activeBytes, limitBytes: s.limitBytes },
    ];
  }
}
