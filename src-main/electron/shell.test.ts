// The shell's wiring against a stand-in for `electron` (Electron cannot run here) and a real core:
// hardened window on core's UI, CSP, the IPC bridge onto the real dispatcher and SQLite, events,
// window bounds kept, tray, single-instance lock, serve.json for the CLI, and a quit that stops the real
// sidecar.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../core/config/index.ts';
import { buildFixtures, waitUntil } from '../../test-support/sidecar/kit.ts';
import { makeTempDir } from '../../test-support/tmp.ts';
import { fileCipher } from '../core/db/index.ts';
import { readServeFile } from '../core/cli/index.ts';
import { rpcUrl } from '../core/cli/serveFile.ts';
import { connectRpc } from '../core/rpc/index.ts';
import { BOUNDS_SETTING } from './bounds.ts';
import { KEYCHAIN_TAG, keychainCipher } from './keychain.ts';
import { CALL_CHANNEL, EVENT_CHANNEL } from './channels.ts';
import { runShell, shellConfig, type Shell } from './shell.ts';
import {
  app,
  FakeBrowserWindow,
  FakeTray,
  fakeEvent,
  module,
  reset,
  state,
} from '../../test-support/electron/fakeElectron.ts';

vi.mock(
  'electron',
  async () => (await import('../../test-support/electron/fakeElectron.ts')).module,
);

const REPO = path.resolve(import.meta.dirname, '..', '..');

describe('electron shell', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let shells: Shell[] = [];

  const launch = async (sidecar = false): Promise<Shell> => {
    const env = {
      ORCHARD_HOME: path.join(tmp.dir, 'home'),
      ORCHARD_PORT: '0',
      HF_HUB_CACHE: path.join(tmp.dir, 'hub'),
    };
    const s = await runShell({
      config: shellConfig(loadConfig(env), REPO, env),
      preloadPath: '/app/out/preload/index.cjs',
      coreOptions: { sidecar, memoryPollMs: 60_000 },
    });
    if (!s) throw new Error('the shell did not start');
    shells.push(s);
    return s;
  };
  const win = () => FakeBrowserWindow.all.at(-1)!;
  const invoke = (method: unknown, input: unknown, from?: { sender: unknown; url: string }) => {
    const handler = state.handlers.get(CALL_CHANNEL)!;
    const w = win();
    return handler(
      { sender: from?.sender ?? w.webContents, senderFrame: { url: from?.url ?? w.loadedUrl } },
      method,
      input,
    ) as Promise<{
      ok: boolean;
      result?: unknown;
      error?: { code: string };
    }>;
  };

  beforeEach(() => {
    reset();
    tmp = makeTempDir('orchard-shell-');
    shells = [];
  });
  afterEach(async () => {
    for (const s of shells) await s.shutdown();
    tmp.cleanup();
  });

  it('opens one hardened window on the UI core serves, with a strict CSP', async () => {
    const s = await launch();
    const w = win();
    expect(FakeBrowserWindow.all).toHaveLength(1);
    expect(w.loadedUrl).toBe(s.core.web!.uiUrl);
    expect(w.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      preload: '/app/out/preload/index.cjs',
    });
    const args = (w.options.webPreferences as { additionalArguments: string[] })
      .additionalArguments;
    expect(args.find((a) => a.startsWith('--orchard-methods='))).toContain('conversations.create');

    const origin = new URL(s.core.web!.uiUrl).origin;
    const hook = state.headerHooks[0]!;
    expect(hook.filter.urls).toEqual([`${origin}/*`]);
    let headers: Record<string, string[]> = {};
    hook.fn(
      { responseHeaders: { 'content-type': ['text/html'] } },
      (r) => (headers = r.responseHeaders),
    );
    const csp = headers['Content-Security-Policy']![0]!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`connect-src 'self' ${origin.replace('http', 'ws')}`);
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(headers['content-type']).toEqual(['text/html']);

    // Navigation away from the UI is refused; links open in the browser; pop-ups are denied.
    const nav = fakeEvent();
    w.webContents.emit('will-navigate', nav, 'https://example.com/page');
    expect(nav.defaultPrevented).toBe(true);
    const inside = fakeEvent();
    w.webContents.emit('will-navigate', inside, `${origin}/#/library`);
    expect(inside.defaultPrevented).toBe(false);
    expect(w.webContents.openHandler!({ url: 'https://example.org/' })).toEqual({ action: 'deny' });
    expect(w.webContents.openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    // Links leave the app only after the user said yes to the URL shown.
    await vi.waitFor(() =>
      expect(state.openedExternal).toEqual(['https://example.com/page', 'https://example.org/']),
    );
    expect(state.asked).toEqual(['https://example.com/page', 'https://example.org/']);
    state.answer = 1;
    w.webContents.openHandler!({ url: 'https://example.net/' });
    await vi.waitFor(() => expect(state.asked).toHaveLength(3));
    await new Promise((r) => setImmediate(r));
    expect(state.openedExternal).toHaveLength(2);
    let granted: boolean | null = null;
    state.permissionHandler!(null, 'media', (ok) => (granted = ok));
    expect(granted).toBe(false);
  });

  it('binds the typed API to ipcMain: real dispatcher, real SQLite, validation, trusted sender only', async () => {
    await launch();
    const created = await invoke('conversations.create', { title: 'From the window' });
    expect(created.ok).toBe(true);
    const list = await invoke('conversations.list', {});
    expect(list.result).toEqual([expect.objectContaining({ title: 'From the window' })]);

    expect((await invoke('conversations.rename', { id: 'x', title: '' })).error?.code).toBe(
      'validation',
    );
    expect((await invoke('fs.readFile', { path: '/etc/passwd' })).error?.code).toBe('not_found');
    expect((await invoke(42, {})).error?.code).toBe('not_found');
    expect(
      (await invoke('conversations.list', {}, { sender: {}, url: win().loadedUrl! })).error?.code,
    ).toBe('unauthorized');
    expect(
      (
        await invoke(
          'conversations.list',
          {},
          { sender: win().webContents, url: 'https://evil.example/' },
        )
      ).error?.code,
    ).toBe('unauthorized');
  });

  it('provider keys go to the system keychain; headless mode says so instead of failing obscurely', async () => {
    const s = await launch();
    const added = await invoke('providers.add', {
      name: 'Cloud',
      format: 'openai',
      baseUrl: 'https://api.example.com/v1',
      apiKey: 'sk-keychain-test',
    });
    expect(added.ok).toBe(true);
    const blob = () =>
      (
        s.core.db.prepare('SELECT api_key_ciphertext AS c FROM providers').get() as {
          c: Buffer;
        }
      ).c;
    expect(blob()[0]).toBe(KEYCHAIN_TAG);
    expect(blob().includes(Buffer.from('sk-keychain-test'))).toBe(false);
    expect(
      keychainCipher(module.safeStorage, fileCipher(s.core.config.secretKeyFile)).decrypt(blob()),
    ).toBe('sk-keychain-test');
    expect(() => fileCipher(s.core.config.secretKeyFile).decrypt(blob())).toThrow(/keychain/);

    // Without a real secret service (Linux "basic_text"), the install key file is used instead.
    state.keychain.backend = 'basic_text';
    const fallback = keychainCipher(module.safeStorage, fileCipher(s.core.config.secretKeyFile));
    expect(fileCipher(s.core.config.secretKeyFile).decrypt(fallback.encrypt('sk-file'))).toBe(
      'sk-file',
    );
  });

  it('forwards core events to the window', async () => {
    const s = await launch();
    s.core.emit('notice', { level: 'info', message: 'hello' });
    expect(win().webContents.sent).toContainEqual([
      EVENT_CHANNEL,
      'notice',
      { level: 'info', message: 'hello' },
    ]);
  });

  it('keeps the window size and position in the settings table, and drops an off-screen one', async () => {
    const s = await launch();
    const w = win();
    w.bounds = { x: 40, y: 60, width: 1000, height: 700 };
    w.close();
    expect(s.core.repos.settings.get(BOUNDS_SETTING)).toEqual({
      x: 40,
      y: 60,
      width: 1000,
      height: 700,
      maximized: false,
    });
    await s.shutdown();
    shells = [];

    reset();
    await launch();
    expect(win().options).toMatchObject({ x: 40, y: 60, width: 1000, height: 700 });
    const again = shells[0]!;
    again.core.repos.settings.set(BOUNDS_SETTING, {
      x: 5000,
      y: 5000,
      width: 800,
      height: 600,
      maximized: false,
    });
    await again.shutdown();
    shells = [];

    reset();
    await launch();
    expect(win().options).toMatchObject({ width: 1200, height: 800 });
    expect(win().options.x).toBeUndefined();
  });

  it('tray shows the engine state and its actions work', async () => {
    const s = await launch();
    const tray = FakeTray.last!;
    const labels = tray.menu.map((i) => i.label);
    expect(labels).toContain('Engine: not started');
    expect(labels).toContain(`API: ${s.core.web!.apiBaseUrl}`);
    const item = (label: string) =>
      tray.menu.find((i) => i.label === label)! as { click(): void; enabled?: boolean };
    item('Copy API address').click();
    expect(state.clipboard).toEqual([s.core.web!.apiBaseUrl]);
    s.core.emit('sidecarState', { ...s.core.supervisor.status(), state: 'crashed' });
    expect(FakeTray.last!.menu.map((i) => i.label)).toContain('Engine: crashed');
    expect(tray.tooltip).toBe('Orchard — engine crashed');
    expect(
      (FakeTray.last!.menu.find((i) => i.label === 'Restart engine') as { enabled: boolean })
        .enabled,
    ).toBe(true);
  });

  it('a second instance quits at once and starts nothing', async () => {
    app.lock = false;
    const s = await runShell({
      config: loadConfig({ ORCHARD_HOME: path.join(tmp.dir, 'second') }),
      preloadPath: 'x',
    });
    expect(s).toBeNull();
    expect(app.quitCalls).toBe(1);
    expect(FakeBrowserWindow.all).toHaveLength(0);
  });

  it('announces itself to the CLI like serve does (serve.json), and withdraws on quit', async () => {
    const s = await launch();
    const file = s.core.config.serveFile;
    expect(readServeFile(file)).toEqual({
      pid: process.pid,
      port: s.core.web!.port,
      token: s.core.web!.token,
    });
    // What `orchard ps` does with it: the RPC of the running app answers.
    const rpc = await connectRpc(rpcUrl(readServeFile(file)!));
    try {
      expect((await rpc.call('app.status')).dataDir).toBe(s.core.config.dataDir);
    } finally {
      rpc.close();
    }
    await s.shutdown();
    expect(fs.existsSync(file)).toBe(false);
  });

  it('quitting waits for core to stop the real sidecar', async () => {
    buildFixtures(path.join(tmp.dir, 'hub'));
    const s = await launch(true);
    const pid = s.core.supervisor.status().pid;
    expect(s.core.supervisor.status().state).toBe('ready');
    expect(pid).not.toBeNull();

    app.quit();
    // The first quit is held until core has stopped; the shell then quits for real.
    await waitUntil(() => app.quitCalls === 2, 30_000, 'the second quit');
    expect(s.core.supervisor.status().state).toBe('stopped');
    expect(() => process.kill(pid!, 0)).toThrow();
    expect(FakeTray.last!.destroyed).toBe(true);
  });
});
