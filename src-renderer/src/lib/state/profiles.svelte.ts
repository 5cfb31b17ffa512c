// Profiles screen state: which profile is being edited, and the profile operations through core
// (the list itself lives in AppState so the chat picker sees every change at once).
import type { MethodInput, MethodResult } from '#shared/contract/index.ts';
import { ApiError } from '../api/index.ts';
import type { AppState, Profile } from './app.svelte.ts';
import { errorMessage } from '../ui/validation.ts';

/** What a save reports back to the form: nothing, or a message for one field or the whole form. */
export type SaveResult =
  { ok: true; profile: Profile } | { ok: false; field: string; message: string };

export type Fit = NonNullable<MethodResult<'hub.details'>['fit']>;

export class ProfilesState {
  readonly app: AppState;
  /** The profile in the editor; 'new' while creating one; null for none. */
  editing = $state<string | 'new' | null>(null);
  error = $state<string | null>(null);
  status = $state<string | null>(null);

  get current(): Profile | null {
    return this.app.profiles.find((p) => p.id === this.editing) ?? null;
  }

  constructor(app: AppState) {
    this.app = app;
  }

  async refresh(): Promise<void> {
    await this.#run(() => this.app.refreshProfiles());
  }

  async save(id: string | null, input: MethodInput<'profiles.create'>): Promise<SaveResult> {
    try {
      const p = id
        ? await this.app.api.call('profiles.update', { id, patch: input })
        : await this.app.api.call('profiles.create', input);
      await this.app.refreshProfiles();
      this.editing = p.id;
      this.status = `Saved profile ${p.name}.`;
      return { ok: true, profile: p };
    } catch (e) {
      // The server checks again (and knows about names already taken): its answer goes next to the field.
      const message = errorMessage(e);
      const field =
        e instanceof ApiError && e.code === 'conflict'
          ? 'name'
          : (/^(?:patch\.)?(?:params\.)?(\w+)/.exec(message)?.[1] ?? '_form');
      return { ok: false, field, message };
    }
  }

  /**
   * Will the profile's model fit: core's estimate (weights + KV cache at the profile's context length and
   * kv_bits + overhead, against the memory limit) from the model's files on the Hub; null when the Hub
   * cannot say (offline, a local path, not a repo id).
   */
  async fit(model: string, contextLength?: number, kvBits?: 4 | 8): Promise<Fit | null> {
    try {
      const d = await this.app.api.call('hub.details', {
        repoId: model,
        ...(contextLength ? { contextLength } : {}),
        ...(kvBits ? { kvBits } : {}),
      });
      return d.fit;
    } catch {
      return null;
    }
  }

  async duplicate(id: string): Promise<void> {
    await this.#run(async () => {
      const p = await this.app.api.call('profiles.duplicate', { id });
      await this.app.refreshProfiles();
      this.editing = p.id;
      this.status = `Duplicated as ${p.name}.`;
    });
  }

  async remove(id: string): Promise<void> {
    await this.#run(async () => {
      const name = this.app.profiles.find((p) => p.id === id)?.name ?? 'profile';
      await this.app.api.call('profiles.delete', { id });
      await this.app.refreshProfiles();
      if (this.editing === id) this.editing = null;
      this.status = `Deleted ${name}.`;
    });
  }

  async setDefault(id: string): Promise<void> {
    await this.#run(async () => {
      const p = await this.app.api.call('profiles.setDefault', { id });
      await this.app.refreshProfiles();
      this.status = `${p.name} is now the default profile.`;
    });
  }

  async #run(fn: () => Promise<void>): Promise<void> {
    this.error = null;
    try {
      await fn();
    } catch (e) {
      this.error = errorMessage(e);
    }
  }
}
