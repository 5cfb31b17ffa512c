// The dispatcher's handler table: every area's RPC handlers combined, plus app.status, which reports
// on the composition itself. Each area builds its own handlers; inputs arrive validated.
import type { Database } from 'better-sqlite3';
import { configFileHandlers } from '../configFile/index.ts';
import { conversationHandlers } from '../conversations/index.ts';
import { engineHandlers, type EngineService } from '../engine/index.ts';
import { gatewayHandlers, type Gateway } from '../gateway/index.ts';
import { ggufImportHandlers } from '../library/index.ts';
import { mcpHandlers, type McpService } from '../mcp/index.ts';
import { memoryHandlers, type MemoryHandlerDeps } from '../memory/index.ts';
import { profileHandlers, type ProfileService } from '../profiles/index.ts';
import type { Handlers } from '../rpc/index.ts';
import { settingsHandlers, type SettingsHandlerDeps } from '../settings/index.ts';
import { sidecarHandlers, type Supervisor } from '../sidecar/index.ts';
import type { DownloadsAreaHandlers } from './downloads.ts';
import { integrationHandlers } from './integrations.ts';
import type { Repos } from './stores.ts';

export interface HandlerDeps {
  version: string;
  dataDir: string;
  apiBaseUrl: () => string | null;
  db: Database;
  repos: Repos;
  profiles: ProfileService;
  sup: Supervisor;
  notices: () => Array<{ level: 'info' | 'warning' | 'error'; message: string }>;
  /** Settings screen, API keys and the log viewer. */
  settingsArea: SettingsHandlerDeps;
  /** Routing, providers and the audit log (the gateway is built after the handlers). */
  gateway: () => Gateway;
  /** hub.*, downloads.*, library.* (app/downloads.ts). */
  downloads: DownloadsAreaHandlers;
  /** The inference engine (engine screen: status, install, repair). */
  engine: EngineService;
  memoryChanged?: MemoryHandlerDeps['memoryChanged'];
  onMemoryStatus?: MemoryHandlerDeps['onMemoryStatus'];
  loadStarted?: MemoryHandlerDeps['loadStarted'];
  /** MCP servers whose tools the chat offers. */
  mcp: McpService;
}

export function createHandlers(d: HandlerDeps): Handlers {
  return {
    'app.status': () => ({
      version: d.version,
      dataDir: d.dataDir,
      apiBaseUrl: d.apiBaseUrl(),
      sidecar: d.sup.status(),
      notices: d.notices(),
    }),
    ...sidecarHandlers(d.sup),
    ...profileHandlers(d.profiles),
    ...memoryHandlers({
      sup: d.sup,
      settings: d.repos.settings,
      memoryChanged: d.memoryChanged,
      onMemoryStatus: d.onMemoryStatus,
      loadStarted: d.loadStarted,
    }),
    ...configFileHandlers(d.db, d.repos),
    ...conversationHandlers({
      store: d.repos.conversations,
      profileExists: (id) => d.repos.profiles.get(id) !== undefined,
    }),
    ...settingsHandlers(d.settingsArea),
    ...gatewayHandlers(d.gateway),
    ...d.downloads,
    ...engineHandlers(d.engine),
    ...ggufImportHandlers(d.sup),
    ...integrationHandlers({ apiBaseUrl: d.apiBaseUrl, gateway: d.gateway }),
    ...mcpHandlers(d.mcp),
  };
}
