// The management screens' states, made once per app so a page keeps its data (and the memory chart its
// history) while the user is elsewhere; the theme is restored before the first paint.
import type { AppState } from './app.svelte.ts';
import { DiscoverState } from './discover.svelte.ts';
import { DownloadsState } from './downloads.svelte.ts';
import { EngineState } from './engine.svelte.ts';
import { IntegrationsState } from './integrations.svelte.ts';
import { LibraryState } from './library.svelte.ts';
import { LogsState } from './logs.svelte.ts';
import { RoutingState } from './routing.svelte.ts';
import { MemoryState } from './memory.svelte.ts';
import { ProfilesState } from './profiles.svelte.ts';
import { restoreTheme, SettingsState } from './settings.svelte.ts';

export interface PageStates {
  profiles: ProfilesState;
  memory: MemoryState;
  settings: SettingsState;
  engine: EngineState;
  library: LibraryState;
  discover: DiscoverState;
  downloads: DownloadsState;
  routing: RoutingState;
  logs: LogsState;
  integrations: IntegrationsState;
}

export function createPageStates(app: AppState): PageStates {
  restoreTheme();
  const settings = new SettingsState(app);
  void settings.load();
  return {
    profiles: new ProfilesState(app),
    memory: new MemoryState(app),
    settings,
    engine: new EngineState(app),
    library: new LibraryState(app),
    discover: new DiscoverState(app),
    downloads: new DownloadsState(app),
    routing: new RoutingState(app),
    logs: new LogsState(app),
    integrations: new IntegrationsState(app),
  };
}
