// A stand-in for the `electron` module (Electron cannot run on the build machines): records what the
// shell asks of it and lets tests fire the events Electron would. Only the parts the shell uses.
import { EventEmitter } from 'node:events';

export interface FakeEvent {
  defaultPrevented: boolean;
  preventDefault(): void;
}
export const fakeEvent = (): FakeEvent => ({
  defaultPrevented: false,
  preventDefault() {
    this.defaultPrevented = true;
  },
});

class FakeWebContents extends EventEmitter {
  sent: Array<[string, ...unknown[]]> = [];
  openHandler: ((d: { url: string }) => { action: string }) | null = null;
  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, ...args]);
  }
  setWindowOpenHandler(fn: (d: { url: string }) => { action: string }): void {
    this.openHandler = fn;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static all: FakeBrowserWindow[] = [];
  options: Record<string, unknown>;
  webContents = new FakeWebContents();
  loadedUrl: string | null = null;
  bounds: { x: number; y: number; width: number; height: number };
  maximized = false;
  destroyed = false;
  constructor(options: Record<string, unknown>) {
    super();
    this.options = options;
    this.bounds = {
      x: (options.x as number | undefined) ?? 100,
      y: (options.y as number | undefined) ?? 100,
      width: options.width as number,
      height: options.height as number,
    };
    FakeBrowserWindow.all.push(this);
  }
  loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    return Promise.resolve();
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isMinimized(): boolean {
    return false;
  }
  isMaximized(): boolean {
    return this.maximized;
  }
  maximize(): void {
    this.maximized = true;
  }
  getNormalBounds() {
    return { ...this.bounds };
  }
  restore(): void {}
  show(): void {}
  focus(): void {}
  close(): void {
    this.emit('close', fakeEvent());
    this.destroyed = true;
    this.emit('closed');
  }
}

export class FakeTray {
  static last: FakeTray | null = null;
  tooltip = '';
  menu: Array<Record<string, unknown>> = [];
  destroyed = false;
  constructor() {
    FakeTray.last = this;
  }
  setToolTip(t: string): void {
    this.tooltip = t;
  }
  setContextMenu(m: { items: Array<Record<string, unknown>> }): void {
    this.menu = m.items;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

class FakeApp extends EventEmitter {
  lock = true;
  quitCalls = 0;
  requestSingleInstanceLock(): boolean {
    return this.lock;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  getAppPath(): string {
    return process.cwd();
  }
  /** Like Electron: quit emits before-quit, and stops if a listener prevented it. */
  quit(): void {
    this.quitCalls++;
    const e = fakeEvent();
    this.emit('before-quit', e);
    if (!e.defaultPrevented) this.emit('quit');
  }
  exit(): void {}
}

export const state = {
  handlers: new Map<string, (event: unknown, ...args: unknown[]) => unknown>(),
  headerHooks: [] as Array<{
    filter: { urls: string[] };
    fn: (
      d: { responseHeaders: Record<string, string[]> },
      cb: (r: { responseHeaders: Record<string, string[]> }) => void,
    ) => void;
  }>,
  permissionHandler: null as
    null | ((wc: unknown, permission: string, cb: (ok: boolean) => void) => void),
  openedExternal: [] as string[],
  /** URLs the user was asked about, and the button the stand-in user presses (0 = open). */
  asked: [] as string[],
  answer: 0,
  keychain: { available: true, backend: 'gnome_libsecret' },
  clipboard: [] as string[],
  displays: [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }],
};

export function reset(): void {
  state.handlers.clear();
  state.headerHooks.length = 0;
  state.permissionHandler = null;
  state.openedExternal.length = 0;
  state.asked.length = 0;
  state.answer = 0;
  state.keychain = { available: true, backend: 'gnome_libsecret' };
  state.clipboard.length = 0;
  FakeBrowserWindow.all = [];
  FakeTray.last = null;
  const fresh = new FakeApp();
  Object.setPrototypeOf(app, Object.getPrototypeOf(fresh));
  app.removeAllListeners();
  app.lock = true;
  app.quitCalls = 0;
}

export const app = new FakeApp();

export const module = {
  app,
  BrowserWindow: FakeBrowserWindow,
  Tray: FakeTray,
  ipcMain: {
    handle: (channel: string, fn: (event: unknown, ...args: unknown[]) => unknown) =>
      state.handlers.set(channel, fn),
  },
  Menu: { buildFromTemplate: (items: Array<Record<string, unknown>>) => ({ items }) },
  nativeImage: { createFromDataURL: (url: string) => ({ url }) },
  screen: { getAllDisplays: () => state.displays },
  session: {
    defaultSession: {
      webRequest: {
        onHeadersReceived: (
          filter: { urls: string[] },
          fn: (typeof state.headerHooks)[number]['fn'],
        ) => state.headerHooks.push({ filter, fn }),
      },
      setPermissionRequestHandler: (fn: NonNullable<typeof state.permissionHandler>) =>
        (state.permissionHandler = fn),
    },
  },
  shell: { openExternal: (url: string) => (state.openedExternal.push(url), Promise.resolve()) },
  clipboard: { writeText: (t: string) => state.clipboard.push(t) },
  dialog: {
    showMessageBox: (_win: unknown, o: { detail: string }) => {
      state.asked.push(o.detail);
      return Promise.resolve({ response: state.answer });
    },
  },
  // A reversible stand-in for the OS keychain, marked so a test can tell its blobs apart.
  safeStorage: {
    isEncryptionAvailable: () => state.keychain.available,
    getSelectedStorageBackend: () => state.keychain.backend,
    encryptString: (s: string) => Buffer.from(`keychain:${Buffer.from(s).toString('base64')}`),
    decryptString: (b: Buffer) =>
      Buffer.from(b.toString().replace(/^keychain:/, ''), 'base64').toString(),
  },
};
