// App-wide state: connection to core, sidecar status, the local models and profiles, model loading.
// Kept fresh from core's events, so every page reads the same values.
import type { EventPayload, MethodResult } from '#shared/contract/index.ts';
import { loadPercent } from '#shared/contract/memory.ts';
import { ApiError, type Connection, type CoreApi } from '../api/index.ts';

type Status = MethodResult<'app.status'>;
export type LocalModel = MethodResult<'models.list'>[number];
export type Profile = MethodResult<'profiles.list'>[number];
type Sidecar = EventPayload<'sidecarState'>;

export class AppState {
  readonly api: CoreApi;
  readonly gatewayOrigin: string;
  readonly token: string | null;

  status = $state<Status | null>(null);
  sidecar = $state<Sidecar | null>(null);
  models = $state<LocalModel[]>([]);
  profiles = $state<Profile[]>([]);
  /** The model being loaded now, with when it started (the picker shows progress). */
  loading = $state<{ model: string; since: number } | null>(null);
  /** Whole percent of its weights read (null until the sidecar knows the total). */
  loadPercent = $state<number | null>(null);
  loadError = $state<string | null>(null);
  connectionError = $state<string | null>(null);
  notices = $state<Array<EventPayload<'notice'>>>([]);

  constructor(conn: Connection) {
    this.api = conn.api;
    this.gatewayOrigin = conn.gatewayOrigin;
    this.token = conn.token;
    this.api.on('sidecarState', (s) => {
      this.sidecar = s;
      // The sidecar restarted or loaded/unloaded: the loaded flags may have changed.
      if (s.state === 'ready') void this.refreshModels();
    });
    this.api.on('memoryStatus', (m) => {
      const row = this.loading && m.loads?.find((l) => l.id === this.loading?.model);
      if (row) this.loadPercent = loadPercent(row);
      void this.refreshModels();
    });
    this.api.on('notice', (n) => (this.notices = [...this.notices, n]));
  }

  async init(): Promise<void> {
    try {
      this.status = await this.api.call('app.status');
      this.sidecar = this.status.sidecar;
      this.connectionError = null;
    } catch (e) {
      this.connectionError = e instanceof Error ? e.message : String(e);
      return;
    }
    await Promise.all([this.refreshModels(), this.refreshProfiles()]);
  }

  async refreshModels(): Promise<void> {
    try {
      this.models = await this.api.call('models.list');
    } catch (e) {
      // The sidecar may be starting; the list comes with the next ready event.
      if (!(e instanceof ApiError)) throw e;
    }
  }

  async refreshProfiles(): Promise<void> {
    this.profiles = await this.api.call('profiles.list');
  }

  isLoaded(model: string): boolean {
    return this.models.some((m) => m.id === model && m.loaded);
  }

  /** Loads a local model unless it is loaded already; false (with loadError set) when that failed. */
  async ensureLoaded(model: string): Promise<boolean> {
    if (!this.models.some((m) => m.id === model)) return true; // not a local model: the gateway routes it
    if (this.isLoaded(model)) return true;
    this.loading = { model, since: Date.now() };
    this.loadPercent = null;
    this.loadError = null;
    try {
      await this.api.call('models.load', { model });
      await this.refreshModels();
      return true;
    } catch (e) {
      this.loadError = `Could not load ${model}: ${e instanceof Error ? e.message : String(e)}`;
      return false;
    } finally {
      this.loading = null;
      this.loadPercent = null;
    }
  }

  /** Stops the load under way; ensureLoaded then reports it as cancelled. */
  async cancelLoad(): Promise<void> {
    if (!this.loading) return;
    await this.api.call('models.cancelLoad', { model: this.loading.model }).catch(() => {});
  }
}
