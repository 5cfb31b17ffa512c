// Composition of the downloads area for startCore and the in-process CLI: Hub client (token read from the
// encrypted setting per request), download manager (concurrency from settings), library, RPC handlers.
import os from 'node:os';
import type { Config } from '../config/index.ts';
import type { Cipher, Database } from '../db/index.ts';
import {
  downloadHandlers,
  createDownloadManager,
  type DownloadHandlers,
  type DownloadManager,
  type DownloadManagerOptions,
} from '../downloads/index.ts';
import {
  createHttp,
  createHubClient,
  hubHandlers,
  estimateFit,
  hubSettingsFromEnv,
  type HubClient,
  type ModelKind,
  type HubHandlers,
} from '../hub/index.ts';
import {
  createLibrary,
  libraryHandlers,
  EXTRA_FOLDERS_SETTING,
  type Library,
  type LibraryHandlers,
} from '../library/index.ts';
import type { LogLike } from '../log/index.ts';
import { limitToBytes, MEMORY_LIMIT_SETTING, type LoadedModels } from '../memory/index.ts';
import { MemoryLimit } from '#shared/contract/memory.ts';
import { readHfToken, SETTING_KEYS } from '../settings/index.ts';
import { sidecarAdmin, type Supervisor } from '../sidecar/index.ts';
import type { Repos } from './stores.ts';

export const HUB_ENDPOINT_SETTING = 'hub.endpoint';
/** Files fetched in parallel within one download (not on the Settings screen; 1-16, default 3). */
export const PARALLEL_FILES_SETTING = 'downloads.parallelFiles';
/** Last model_types list the sidecar reported, used while it is down. */
export const MODEL_TYPES_SETTING = 'sidecar.modelTypes';
/** Likewise its embedding_model_types (what its embedder runs). */
export const EMBEDDING_TYPES_SETTING = 'sidecar.embeddingModelTypes';

/** hub.*, downloads.* and library.* */
export type DownloadsAreaHandlers = HubHandlers & DownloadHandlers & LibraryHandlers;

export interface DownloadsArea {
  hub: HubClient;
  manager: DownloadManager;
  library: Library;
  handlers: DownloadsAreaHandlers;
}

function intSetting(
  repos: Pick<Repos, 'settings'>,
  key: string,
  min: number,
  max: number,
  dflt: number,
): number {
  const v = repos.settings.get(key);
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : dflt;
}

export function createDownloadsArea(d: {
  config: Config;
  db: Database;
  /** `models` is the library's inventory: the download manager records into the one store the library reads. */
  repos: Pick<Repos, 'settings' | 'models'>;
  cipher: Cipher;
  env?: NodeJS.ProcessEnv;
  log?: LogLike;
  /** The sidecar, asked which model types it can load; absent in the CLI. */
  sidecar?: Pick<Supervisor, 'json' | 'status'>;
  /** What the sidecar has loaded (the library shows it and refuses to delete those); absent in the CLI. */
  loaded?: Pick<LoadedModels, 'has' | 'refresh'>;
  manager?: Partial<DownloadManagerOptions>;
}): DownloadsArea {
  const { repos } = d;
  let warned = false;
  const storedToken = (): string | null => {
    try {
      return readHfToken(repos.settings, d.cipher);
    } catch (e) {
      // A token encrypted under another install key: fall back to HF_TOKEN rather than failing every request.
      if (!warned) d.log?.warn('the stored Hub token cannot be decrypted', { error: String(e) });
      warned = true;
      return null;
    }
  };
  const hubCfg = hubSettingsFromEnv(d.env ?? process.env, {
    hubUrl: repos.settings.get(HUB_ENDPOINT_SETTING),
    hfToken: storedToken,
  });
  const http = createHttp({ hubUrl: hubCfg.hubUrl, token: hubCfg.token });
  const hub = createHubClient(http);
  const manager = createDownloadManager({
    db: d.db,
    cacheDir: d.config.hfHubCache,
    http,
    hub,
    inventory: repos.models,
    log: d.log,
    concurrency: () => intSetting(repos, SETTING_KEYS.downloadConcurrency, 1, 8, 2),
    parallelFiles: () => intSetting(repos, PARALLEL_FILES_SETTING, 1, 16, 3),
    ...d.manager,
  });
  const library = createLibrary({
    db: d.db,
    models: repos.models,
    cacheDir: d.config.hfHubCache,
    extraFolders: () => {
      const v = repos.settings.get(EXTRA_FOLDERS_SETTING);
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    },
    isDownloading: (r) => manager.busy(r),
    ...(d.loaded && { isLoaded: d.loaded.has, refreshLoaded: d.loaded.refresh }),
  });

  async function supportedModelTypes(kind: ModelKind): Promise<readonly string[] | null> {
    const key = kind === 'embeddings' ? EMBEDDING_TYPES_SETTING : MODEL_TYPES_SETTING;
    if (d.sidecar?.status().state === 'ready') {
      try {
        const caps = await sidecarAdmin(d.sidecar).capabilities();
        const lists: Array<[string, string[]]> = [
          [MODEL_TYPES_SETTING, caps.model_types],
          [EMBEDDING_TYPES_SETTING, caps.embedding_model_types],
        ];
        for (const [k, v] of lists)
          if (JSON.stringify(repos.settings.get(k)) !== JSON.stringify(v)) repos.settings.set(k, v);
        return kind === 'embeddings' ? caps.embedding_model_types : caps.model_types;
      } catch (e) {
        d.log?.warn('could not ask the sidecar for its model types', { error: String(e) });
      }
    }
    // Sidecar down: the list it gave last time; never seen one: null (support is then not judged).
    const last = repos.settings.get(key);
    return Array.isArray(last) && last.every((t) => typeof t === 'string')
      ? (last as string[])
      : null;
  }

  const handlers = {
    ...hubHandlers({
      hub,
      supportedModelTypes,
      memoryLimitBytes: () => {
        const stored = MemoryLimit.safeParse(repos.settings.get(MEMORY_LIMIT_SETTING));
        // Without a limit, what MLX allows by default on Apple silicon: about three quarters of memory.
        return stored.success ? limitToBytes(stored.data) : Math.floor(os.totalmem() * 0.75);
      },
      estimateFit,
    }),
    ...downloadHandlers(manager),
    ...libraryHandlers(library),
  };
  return { hub, manager, library, handlers };
}
