// RPC handlers of the Settings screen (settings.*, logs.tail, apiKeys.*): inputs arrive validated, the
// settings service checks the whole patch again before it writes.
import type { settingsMethods } from '#shared/contract/settings.ts';
import { CoreError } from '../errors/index.ts';
import type { ApiKeys } from '../gateway/index.ts';
import { tailLogs } from '../log/tail.ts';
import type { Handlers } from '../rpc/index.ts';
import type { SettingsService } from './service.ts';

export type SettingsHandlers = Pick<Handlers, keyof typeof settingsMethods>;

export interface SettingsHandlerDeps {
  settings: SettingsService;
  keys: ApiKeys;
  logDir: string;
}

export function settingsHandlers(d: SettingsHandlerDeps): SettingsHandlers {
  return {
    'settings.get': () => d.settings.get(),
    'settings.set': (patch) => d.settings.set(patch),
    'logs.tail': (p) => tailLogs(d.logDir, p),
    'apiKeys.list': () => d.keys.list(),
    'apiKeys.create': ({ name }) => d.keys.create(name),
    'apiKeys.revoke': ({ id }) => {
      d.keys.revoke(id);
      const k = d.keys.list().find((x) => x.id === id);
      if (!k) throw new CoreError('not_found', `no API key with id '${id}'`);
      return k;
    },
  };
}
