// The tray menu: engine state, quick actions (open, restart the engine, copy the API address), quit.
import type { SidecarStatus } from '#shared/contract/app.ts';

/** 16×16 PNG: a green dot (the app has no icon set yet). */
export const TRAY_ICON_DATA_URL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAQUlEQVR42mPQz7djoARjE2wggPEaAFP0HwfGMARd838icQO6AQ1kGNCAbsB/EvGoAbQwgKJopDghUSUpUyUzkYwBNaBvlHv7AkAAAAAASUVORK5CYII=';

export interface TrayActions {
  open(): void;
  restartEngine(): void;
  copyApiAddress(): void;
  quit(): void;
}

export interface MenuItem {
  label?: string;
  type?: 'separator' | 'normal';
  enabled?: boolean;
  click?: () => void;
}

const STATE_LABEL: Record<SidecarStatus['state'], string> = {
  idle: 'not started',
  starting: 'starting…',
  ready: 'running',
  restarting: 'restarting…',
  crashed: 'crashed',
  stopped: 'stopped',
};

export function trayMenu(
  status: SidecarStatus,
  apiBaseUrl: string | null,
  a: TrayActions,
): MenuItem[] {
  const canRestart =
    status.state === 'crashed' || status.state === 'stopped' || status.state === 'idle';
  return [
    { label: `Engine: ${STATE_LABEL[status.state]}`, enabled: false },
    { label: apiBaseUrl ? `API: ${apiBaseUrl}` : 'API: not serving', enabled: false },
    { type: 'separator' },
    { label: 'Open Orchard', click: a.open },
    { label: 'Restart engine', enabled: canRestart, click: a.restartEngine },
    { label: 'Copy API address', enabled: apiBaseUrl !== null, click: a.copyApiAddress },
    { type: 'separator' },
    { label: 'Quit Orchard', click: a.quit },
  ];
}

export function trayTooltip(status: SidecarStatus): string {
  return `Orchard — engine ${STATE_LABEL[status.state]}`;
}
