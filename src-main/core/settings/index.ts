// Public surface of the settings area: the key → value store, the Settings screen's service,
// the readers other areas use (server address, Hub token) and the RPC handlers.
export { settingsStore, type SettingsStore } from './store.ts';
export {
  HF_TOKEN_SETTING,
  readHfToken,
  serverAddress,
  SETTING_KEYS,
  settingsService,
  type SettingsDeps,
  type SettingsService,
} from './service.ts';
export { settingsHandlers, type SettingsHandlerDeps, type SettingsHandlers } from './handlers.ts';
