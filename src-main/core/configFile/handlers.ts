// RPC handlers of the config file (config.export, config.import) for RPC clients; the CLI's
// `config export/import` call the same functions on the database directly, without a running serve.
import type { Database } from 'better-sqlite3';
import type { configFileMethods } from '#shared/contract/configFile.ts';
import type { Handlers } from '../rpc/index.ts';
import { exportConfig, importConfig, type ConfigFileStores } from './exportImport.ts';

export type ConfigFileHandlers = Pick<Handlers, keyof typeof configFileMethods>;

export function configFileHandlers(db: Database, stores: ConfigFileStores): ConfigFileHandlers {
  return {
    'config.export': ({ withSecrets }) => exportConfig(stores, { withSecrets }),
    'config.import': ({ config }) => importConfig(db, stores, config),
  };
}
