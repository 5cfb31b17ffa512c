// The desktop shell: single-instance lock, core started in-process (as `serve` does), one hardened
// window on the UI core serves, the typed API bound to ipcMain, a tray, and a clean quit.
import path from 'node:path';
import {
  app,
  BrowserWindow,
  clipboard,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  safeStorage,
  screen,
  session,
  shell,
  Tray,
  type IpcMainInvokeEvent,
} from 'electron';
import { startCore, VERSION, type Core, type CoreOptions } from '../core/app/index.ts';
import { removeServeFile, writeServeFile } from '../core/cli/index.ts';
import { engineFromConfig, formatProgress, withEngine } from '../core/engine/index.ts';
import { fileCipher } from '../core/db/index.ts';
import type { Config } from '../core/config/index.ts';
import type { SidecarStatus } from '#shared/contract/app.ts';
import { contract, events as contractEvents, type EventName } from '#shared/contract/index.ts';
import { keychainCipher } from './keychain.ts';
import { DEFAULT_SIZE, MIN_SIZE, restoreBounds, saveBounds } from './bounds.ts';
import { CALL_CHANNEL, EVENT_CHANNEL } from './channels.ts';
import { contentSecurityPolicy } from '../core/http/index.ts';
import { isExternalLink, sameOrigin, webPreferences } from './security.ts';
import { TRAY_ICON_DATA_URL, trayMenu, trayTooltip } from './tray.ts';

export const METHOD_NAMES = Object.keys(contract);
export const EVENT_NAMES = Object.keys(contractEvents) as EventName[];

export interface ShellOptions {
  config: Config;
  /** Built preload script (CommonJS: sandboxed preloads cannot load ES modules). */
  preloadPath: string;
  start?: (opts: CoreOptions) => Promise<Core>;
  coreOptions?: Partial<CoreOptions>;
}

export interface Shell {
  core: Core;
  window(): BrowserWindow | null;
  /** Stops core (and with it the sidecar) once; the quit path awaits the same promise. */
  shutdown(): Promise<void>;
}

/** Electron runs from the built bundle, so paths core would derive from its own file are wrong there. */
export function shellConfig(
  base: Config,
  appPath: string,
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const sidecarDir = path.join(appPath, 'inference-sidecar');
  const python =
    env.ORCHARD_SIDECAR_PYTHON ||
    (process.platform === 'win32'
      ? path.join(sidecarDir, '.venv', 'Scripts', 'python.exe')
      : path.join(sidecarDir, '.venv', 'bin', 'python'));
  return {
    ...base,
    repoRoot: appPath,
    rendererDir: path.join(appPath, 'out', 'renderer'),
    sidecar: { python, cwd: sidecarDir },
  };
}

/** A link leaves the app only after the user has seen where it goes and said yes. */
async function openOutside(win: BrowserWindow, url: string): Promise<void> {
  if (!isExternalLink(url)) return;
  const { response } = await dialog.showMessageBox(win, {
    type: 'question',
    buttons: ['Open in Browser', 'Cancel'],
    defaultId: 0,
    cancelId: 1,
    message: 'Open this link outside Orchard?',
    detail: url,
  });
  if (response === 0) await shell.openExternal(url);
}

function refused(message: string) {
  return { ok: false as const, error: { code: 'unauthorized', message } };
}

export async function runShell(opts: ShellOptions): Promise<Shell | null> {
  if (!app.requestSingleInstanceLock()) {
    // Another Orchard owns the data folder and the sidecar; it gets focused by its second-instance handler.
    app.quit();
    return null;
  }
  let win: BrowserWindow | null = null;
  const focus = (): void => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };
  app.on('second-instance', focus);

  await app.whenReady();
  // The managed engine (packaged app, ORCHARD_ENGINE=managed) is installed or repaired before core starts.
  const engine = engineFromConfig(opts.config, VERSION);
  let config = opts.config;
  if (engine.mode === 'managed') {
    engine.events.on('progress', (p) => console.log(formatProgress(p)));
    config = withEngine(config, await engine.ensure());
  }
  const core = await (opts.start ?? startCore)({
    config,
    engine,
    http: true,
    cipher: keychainCipher(safeStorage, fileCipher(opts.config.secretKeyFile)),
    ...opts.coreOptions,
  });
  const web = core.web!;
  const origin = new URL(web.uiUrl).origin;
  // The CLI (`orchard ps`, `run`, `engine repair`, …) finds the running app as it finds `npm run serve`.
  writeServeFile(config.serveFile, { pid: process.pid, port: web.port, token: web.token });

  // Every response of the UI's origin carries the CSP, whatever the static server sent.
  session.defaultSession.webRequest.onHeadersReceived(
    { urls: [`${origin}/*`] },
    (details, callback) => {
      callback({
        responseHeaders: {
          ...details.responseHeaders,
          'Content-Security-Policy': [contentSecurityPolicy(origin)],
        },
      });
    },
  );
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) =>
    callback(permission === 'clipboard-sanitized-write'),
  );

  const trusted = (e: IpcMainInvokeEvent): boolean =>
    win !== null && e.sender === win.webContents && sameOrigin(e.senderFrame?.url ?? '', origin);
  ipcMain.handle(CALL_CHANNEL, async (e, method: unknown, input: unknown) => {
    if (!trusted(e)) return refused('calls are accepted only from the Orchard window');
    if (typeof method !== 'string' || !METHOD_NAMES.includes(method)) {
      return {
        ok: false as const,
        error: { code: 'not_found', message: `unknown method "${String(method)}"` },
      };
    }
    return core.dispatcher.call(method, input);
  });
  for (const name of EVENT_NAMES) {
    core.events.on(name, (data: unknown) => {
      if (win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, name, data);
    });
  }

  const createWindow = (): BrowserWindow => {
    const saved = restoreBounds(
      core.repos.settings,
      screen.getAllDisplays().map((d) => d.workArea),
    );
    const w = new BrowserWindow({
      ...(saved
        ? { x: saved.x, y: saved.y, width: saved.width, height: saved.height }
        : DEFAULT_SIZE),
      minWidth: MIN_SIZE.width,
      minHeight: MIN_SIZE.height,
      title: 'Orchard',
      show: false,
      webPreferences: webPreferences(opts.preloadPath, METHOD_NAMES, EVENT_NAMES),
    });
    if (saved?.maximized) w.maximize();
    const persist = (): void => {
      if (!w.isDestroyed() && !w.isMinimized())
        saveBounds(core.repos.settings, w.getNormalBounds(), w.isMaximized());
    };
    let timer: NodeJS.Timeout | undefined;
    const persistSoon = (): void => {
      clearTimeout(timer);
      timer = setTimeout(persist, 500);
    };
    w.on('resize', persistSoon);
    w.on('move', persistSoon);
    w.on('close', () => {
      clearTimeout(timer);
      persist();
    });
    w.on('closed', () => {
      if (win === w) win = null;
    });
    w.once('ready-to-show', () => w.show());
    w.webContents.setWindowOpenHandler(({ url }) => {
      void openOutside(w, url);
      return { action: 'deny' };
    });
    w.webContents.on('will-navigate', (event, url) => {
      if (!sameOrigin(url, origin)) {
        event.preventDefault();
        void openOutside(w, url);
      }
    });
    void w.loadURL(web.uiUrl);
    return w;
  };
  win = createWindow();

  let stopping: Promise<void> | null = null;
  const shutdown = (): Promise<void> => {
    if (!stopping) removeServeFile(config.serveFile, process.pid);
    return (stopping ??= core.stop());
  };

  const tray = new Tray(nativeImage.createFromDataURL(TRAY_ICON_DATA_URL));
  const refreshTray = (status: SidecarStatus): void => {
    tray.setToolTip(trayTooltip(status));
    tray.setContextMenu(
      Menu.buildFromTemplate(
        trayMenu(status, web.apiBaseUrl, {
          open: () => {
            if (!win) win = createWindow();
            focus();
          },
          restartEngine: () => void core.dispatcher.call('sidecar.restart', {}),
          copyApiAddress: () => clipboard.writeText(web.apiBaseUrl),
          quit: () => app.quit(),
        }),
      ),
    );
  };
  refreshTray(core.supervisor.status());
  core.events.on('sidecarState', refreshTray);

  app.on('activate', () => {
    if (!win) win = createWindow();
    focus();
  });
  app.on('window-all-closed', () => {
    // macOS apps stay in the dock and tray; elsewhere closing the last window quits.
    if (process.platform !== 'darwin') app.quit();
  });
  let done = false;
  app.on('before-quit', (event) => {
    if (done) return;
    // Hold the quit until core has stopped the sidecar, so no model process outlives the app.
    event.preventDefault();
    void shutdown()
      .catch((e: unknown) =>
        core.logs.main.error('error while stopping core', { error: String(e) }),
      )
      .finally(() => {
        done = true;
        tray.destroy();
        app.quit();
      });
  });

  return { core, window: () => win, shutdown };
}
