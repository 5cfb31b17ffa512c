// What the gateway's Ollama API acts on, from core's areas: the download manager (/api/pull), the library
// (/api/delete), the `gateway.aliases` setting and profiles (/api/copy), the sidecar's admin (keep_alive, ps).
import { GatewaySettings } from '#shared/contract/gatewaySettings.ts';
import { CoreError } from '../errors/index.ts';
import type { AliasStore, OllamaServices } from '../gateway/index.ts';
import type { ProfileService } from '../profiles/index.ts';
import type { SettingsStore } from '../settings/index.ts';
import { sidecarAdmin, type Supervisor } from '../sidecar/index.ts';
import type { DownloadsArea } from './downloads.ts';

const ALIASES = 'gateway.aliases';

/** Aliases in the settings table, the one place routing reads them from. */
export function aliasStore(settings: SettingsStore): AliasStore {
  const all = (): Record<string, string> => {
    const parsed = GatewaySettings.shape[ALIASES].safeParse(settings.get(ALIASES));
    return parsed.success ? parsed.data : {};
  };
  return {
    all,
    set(alias, repoId) {
      settings.set(ALIASES, { ...all(), [alias]: repoId });
    },
    remove(alias) {
      const current = all();
      if (!Object.hasOwn(current, alias)) return false;
      const { [alias]: _gone, ...rest } = current;
      settings.set(ALIASES, rest);
      return true;
    },
  };
}

export function ollamaServices(d: {
  downloads: DownloadsArea;
  settings: SettingsStore;
  profiles: ProfileService;
  sidecar: Pick<Supervisor, 'json'>;
}): OllamaServices {
  return {
    downloads: d.downloads.manager,
    removeModel: (repoId) => d.downloads.library.remove(repoId),
    aliases: aliasStore(d.settings),
    copyProfile(source, name) {
      const p = d.profiles.find(source);
      if (!p) throw new CoreError('not_found', `no profile named ${source}`);
      d.profiles.duplicate(p.id, name);
    },
    admin: sidecarAdmin(d.sidecar),
  };
}
