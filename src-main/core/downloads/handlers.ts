// RPC handlers of downloads.* over the download manager, and the mapping of its events onto the contract's
// event streams. Inputs arrive validated.
import type { downloadMethods } from '#shared/contract/downloads.ts';
import type { Handlers } from '../rpc/index.ts';
import type { ProgressEvent, StateEvent } from './events.ts';
import type { DownloadManager } from './manager.ts';
import type { DownloadView } from './views.ts';

export type DownloadHandlers = Pick<Handlers, keyof typeof downloadMethods>;

export function downloadHandlers(manager: DownloadManager): DownloadHandlers {
  return {
    'downloads.pull': ({ repoId, revision }) => manager.pull(repoId, { revision }),
    'downloads.pause': ({ id }) => manager.pause(id),
    'downloads.resume': ({ id }) => manager.resume(id),
    'downloads.cancel': ({ id }) => manager.cancel(id),
    'downloads.get': ({ id }) => manager.get(id),
    'downloads.list': () => manager.list(),
  };
}

/** Maps manager events onto the contract's `downloadProgress` event. */
export function toProgressEvent(p: ProgressEvent, status: DownloadView['status'] = 'running') {
  return {
    id: p.id,
    repoId: p.repoId,
    status,
    doneBytes: p.doneBytes,
    totalBytes: p.totalBytes,
    bytesPerSecond: p.speedBps,
  };
}
export function toStateEvent(s: StateEvent) {
  return { id: s.id, repoId: s.repoId, status: s.status, error: s.error };
}
