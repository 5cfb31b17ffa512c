// Every area's store over one database, built once by the composition root (startCore, the CLI, tests).
// Areas never see this aggregate: each takes its own store, or a narrow interface of the ones it reads.
import type { Database } from 'better-sqlite3';
import type { Cipher } from '../db/index.ts';
import { conversationsStore, type ConversationsStore } from '../conversations/index.ts';
import { profilesStore, type ProfilesStore } from '../profiles/index.ts';
import {
  providersStore,
  routingRulesStore,
  type ProvidersStore,
  type RoutingRulesStore,
} from '../gateway/index.ts';
import { settingsStore, type SettingsStore } from '../settings/index.ts';
import { downloadStore, type DownloadStore } from '../downloads/store.ts';
import { libraryStore, type LibraryStore } from '../library/store.ts';
import { mcpStore, type McpStore } from '../mcp/index.ts';

export interface Repos {
  profiles: ProfilesStore;
  settings: SettingsStore;
  conversations: ConversationsStore;
  providers: ProvidersStore;
  routingRules: RoutingRulesStore;
  downloads: DownloadStore;
  models: LibraryStore;
  mcp: McpStore;
}

export function createRepos(db: Database, cipher: Cipher): Repos {
  return {
    profiles: profilesStore(db),
    settings: settingsStore(db),
    conversations: conversationsStore(db),
    providers: providersStore(db, cipher),
    routingRules: routingRulesStore(db),
    downloads: downloadStore(db),
    models: libraryStore(db),
    mcp: mcpStore(db, cipher),
  };
}
