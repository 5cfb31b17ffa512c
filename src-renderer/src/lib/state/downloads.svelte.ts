// Downloads screen state: every job from core (which keeps them across restarts), kept live by the
// downloadProgress and downloadState events; pause, resume, retry and cancel.
import type { MethodResult } from '#shared/contract/index.ts';
import type { AppState } from './app.svelte.ts';
import { errorMessage } from '../ui/validation.ts';

export type Download = MethodResult<'downloads.list'>[number];

export class DownloadsState {
  readonly app: AppState;
  jobs = $state<Download[]>([]);
  error = $state<string | null>(null);

  constructor(app: AppState) {
    this.app = app;
    app.api.on('downloadProgress', (p) => {
      const speed = p.bytesPerSecond ?? 0;
      this.#patch(p.id, (j) => ({
        ...j,
        doneBytes: p.doneBytes,
        totalBytes: p.totalBytes ?? j.totalBytes,
        speedBps: speed,
        etaSeconds: speed > 0 && p.totalBytes ? (p.totalBytes - p.doneBytes) / speed : null,
      }));
    });
    app.api.on('downloadState', (s) => void this.#reload(s.id));
  }

  async refresh(): Promise<void> {
    try {
      this.jobs = await this.app.api.call('downloads.list');
      this.error = null;
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  async pull(repoId: string): Promise<Download | null> {
    try {
      const d = await this.app.api.call('downloads.pull', { repoId });
      this.#upsert(d);
      return d;
    } catch (e) {
      this.error = errorMessage(e);
      return null;
    }
  }

  pause = (id: string) => this.#act('downloads.pause', id);
  resume = (id: string) => this.#act('downloads.resume', id);
  cancel = (id: string) => this.#act('downloads.cancel', id);

  async #act(
    method: 'downloads.pause' | 'downloads.resume' | 'downloads.cancel',
    id: string,
  ): Promise<void> {
    try {
      this.#upsert(await this.app.api.call(method, { id }));
      this.error = null;
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  async #reload(id: string): Promise<void> {
    try {
      this.#upsert(await this.app.api.call('downloads.get', { id }));
    } catch {
      await this.refresh();
    }
  }

  #upsert(d: Download): void {
    this.jobs = this.jobs.some((j) => j.id === d.id)
      ? this.jobs.map((j) => (j.id === d.id ? d : j))
      : [d, ...this.jobs];
  }

  #patch(id: string, fn: (j: Download) => Download): void {
    if (!this.jobs.some((j) => j.id === id)) {
      void this.#reload(id);
      return;
    }
    this.jobs = this.jobs.map((j) => (j.id === id ? fn(j) : j));
  }
}
