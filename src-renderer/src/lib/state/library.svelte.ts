// Library screen state: local models (HF cache and extra folders) with loaded/pinned state, and the
// operations on them: load, unload, pin, delete (reporting the space freed) and GGUF import.
import type { MethodResult } from '#shared/contract/index.ts';
import { ImportGgufInput } from '#shared/contract/library.ts';
import type { AppState } from './app.svelte.ts';
import { errorMessage, issuesByField, type FieldErrors } from '../ui/validation.ts';
import { formatBytes } from '../ui/format.ts';

export type LibraryModel = MethodResult<'library.list'>[number];

export class LibraryState {
  readonly app: AppState;
  models = $state<LibraryModel[]>([]);
  /** Repo ids with an operation in flight (their buttons are disabled). */
  busy = $state<string[]>([]);
  error = $state<string | null>(null);
  status = $state<string | null>(null);
  importing = $state(false);

  constructor(app: AppState) {
    this.app = app;
    app.api.on('memoryStatus', () => void this.refresh());
    app.api.on('downloadState', (s) => {
      if (s.status === 'done') void this.refresh();
    });
  }

  /** The sidecar's word on what is loaded (the library scan does not know). */
  loaded(m: LibraryModel): boolean {
    return m.loaded || this.app.models.some((x) => x.id === m.repoId && x.loaded);
  }

  pinned(repoId: string): boolean {
    return this.app.models.some((m) => m.id === repoId && m.pinned);
  }

  async refresh(): Promise<void> {
    try {
      this.models = await this.app.api.call('library.list');
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  async load(repoId: string, pin?: boolean): Promise<void> {
    await this.#op(repoId, async () => {
      await this.app.api.call(
        'models.load',
        pin === undefined ? { model: repoId } : { model: repoId, pin },
      );
      this.status =
        pin === undefined ? `Loaded ${repoId}.` : pin ? `Pinned ${repoId}.` : `Unpinned ${repoId}.`;
    });
  }

  async unload(repoId: string): Promise<void> {
    await this.#op(repoId, async () => {
      await this.app.api.call('models.unload', { model: repoId });
      this.status = `Unloaded ${repoId}.`;
    });
  }

  async remove(repoId: string): Promise<void> {
    await this.#op(repoId, async () => {
      const r = await this.app.api.call('library.delete', { repoId });
      this.status = `Deleted ${repoId}; ${formatBytes(r.freedBytes)} freed.`;
    });
  }

  /** Validates with the contract's schema first; field errors come back for the form. */
  async importGguf(path: string, repoId: string): Promise<FieldErrors> {
    const parsed = ImportGgufInput.safeParse({ path, repoId });
    if (!parsed.success) return issuesByField(parsed.error);
    this.importing = true;
    try {
      await this.app.api.call('models.importGguf', parsed.data);
      this.status = `Imported ${parsed.data.repoId}.`;
      await Promise.all([this.refresh(), this.app.refreshModels()]);
      return {};
    } catch (e) {
      return { path: errorMessage(e) };
    } finally {
      this.importing = false;
    }
  }

  async #op(repoId: string, fn: () => Promise<void>): Promise<void> {
    this.busy = [...this.busy, repoId];
    this.error = null;
    try {
      await fn();
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      this.busy = this.busy.filter((x) => x !== repoId);
      await Promise.all([this.refresh(), this.app.refreshModels()]);
    }
  }
}
