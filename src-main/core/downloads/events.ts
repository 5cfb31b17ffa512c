// What the download manager announces: throttled progress of each running download and every change of status.
// Subscribing returns the function that unsubscribes.
import { EventEmitter } from 'node:events';
import type { DownloadStatus } from './store.ts';

export interface ProgressEvent {
  id: string;
  repoId: string;
  doneBytes: number;
  totalBytes: number;
  speedBps: number;
  etaSeconds: number | null;
  retrying: string | null;
}

export interface StateEvent {
  id: string;
  repoId: string;
  status: DownloadStatus;
  error: string | null;
}

export type DownloadListener = (e: ProgressEvent & StateEvent) => void;

export interface DownloadEvents {
  on(event: 'progress' | 'state', fn: DownloadListener): () => void;
  progress(e: ProgressEvent): void;
  state(e: StateEvent): void;
}

export function createDownloadEvents(): DownloadEvents {
  const events = new EventEmitter();
  return {
    on(event, fn) {
      events.on(event, fn);
      return () => events.off(event, fn);
    },
    progress: (e) => {
      events.emit('progress', e);
    },
    state: (e) => {
      events.emit('state', e);
    },
  };
}
