// Public surface of the downloads area: the manager, its views and events, its store and its RPC handlers.
export { createDownloadManager, type DownloadManager } from './manager.ts';
export type { DownloadManagerOptions } from './options.ts';
export type { DownloadView, FileView } from './views.ts';
export type { ProgressEvent, StateEvent } from './events.ts';
export type { ModelInventory, InstalledModel } from './snapshot.ts';
export {
  downloadStore,
  type DownloadStore,
  type DownloadRow,
  type DownloadStatus,
  type FileStatus,
} from './store.ts';
export {
  downloadHandlers,
  toProgressEvent,
  toStateEvent,
  type DownloadHandlers,
} from './handlers.ts';
export { statfsFree, formatBytes, type FreeSpace } from './diskSpace.ts';
