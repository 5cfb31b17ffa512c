// Public surface of the configFile area: the portable file of profiles, routing rules and providers
// (export, validate, import) and its RPC handlers. The process's own settings are config/'s.
export { exportConfig, importConfig, parseConfig, type ConfigFileStores } from './exportImport.ts';
export { configFileHandlers, type ConfigFileHandlers } from './handlers.ts';
