// Starts Orchard for a spec the way a user does: `orchard serve` in a temporary ORCHARD_HOME on a
// free port (ready when it prints its line) with Chromium on the printed URL, or the Electron app.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import {
  _electron,
  chromium,
  type Browser,
  type ElectronApplication,
  type Page,
} from 'playwright-core';
import { REPO_ROOT } from '../../src-main/core/config/index.ts';
import { connectRpc, type RpcClient } from '../../src-main/core/rpc/client.ts';
import { CHROMIUM, CHROMIUM_ARGS, electronBinary, electronMode, electronSqlite } from './env.ts';

export const ARTIFACTS = path.join(REPO_ROOT, 'e2e', 'artifacts');
export const README_SHOTS = path.join(REPO_ROOT, 'docs', 'screenshots');

export interface Orchard {
  page: Page;
  /** The UI URL with its per-launch token. */
  ui: string;
  token: string;
  /** Base of the OpenAI-compatible API, e.g. http://127.0.0.1:PORT/v1. */
  api: string;
  rpc: RpcClient;
  home: string;
  screenshot(name: string): Promise<void>;
  /** A README picture: taken like any screenshot, and written to docs/screenshots/<file>.png as well when
   * ORCHARD_README_SHOTS=1 (so a normal run leaves the tracked pictures alone). */
  readmeShot(file: string): Promise<void>;
  /** The system clipboard's text (through Electron's clipboard module in Electron mode). */
  readClipboard(): Promise<string>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves with serve's JSON ready line; rejects with its output if it exits first. */
function readyLine(child: ChildProcess): Promise<{ ui: string; api: string; sidecar: string }> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as { ui?: string; api?: string; sidecar?: string };
        if (parsed.ui && parsed.api)
          resolve(parsed as { ui: string; api: string; sidecar: string });
      } catch {
        // Not the ready line.
      }
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`orchard serve exited (${code ?? signal}) before it was ready:\n${stderr}`)),
    );
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', () => r()));
}

export async function launchOrchard(opts: {
  name: string;
  cache: string;
  env?: Record<string, string>;
  /** Reuse this ORCHARD_HOME (a restart of the same install); the caller removes it. */
  home?: string;
}): Promise<Orchard> {
  const home = opts.home ?? fs.mkdtempSync(path.join(os.tmpdir(), `orchard-e2e-${opts.name}-`));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ORCHARD_HOME: home,
    HF_HUB_CACHE: opts.cache,
    ORCHARD_PORT: String(port),
    ...opts.env,
  };
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of fs.readdirSync(ARTIFACTS))
    if (f.startsWith(`${opts.name}-`)) fs.rmSync(path.join(ARTIFACTS, f));

  let page: Page;
  let ui: string;
  let close: () => Promise<void>;
  let readClipboard: () => Promise<string>;
  if (electronMode()) {
    const app: ElectronApplication = await _electron.launch({
      executablePath: electronBinary()!,
      args: [REPO_ROOT],
      env: { ...(env as Record<string, string>), ORCHARD_SQLITE_BINDING: electronSqlite() },
    });
    page = await app.firstWindow();
    await page.waitForURL(/token=/);
    ui = page.url();
    close = () => app.close();
    readClipboard = () => app.evaluate(({ clipboard }) => clipboard.readText());
  } else {
    const child = spawn(
      path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      [path.join(REPO_ROOT, 'src-main/core/cli/main.ts'), 'serve', '--json'],
      {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const ready = await readyLine(child);
    ui = ready.ui;
    const browser: Browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: new URL(ui).origin,
    });
    page = await context.newPage();
    await page.goto(ui);
    readClipboard = () => page.evaluate(() => navigator.clipboard.readText());
    close = async () => {
      await browser.close();
      child.kill('SIGTERM');
      await exited(child);
    };
  }
  const url = new URL(ui);
  const token = url.searchParams.get('token') ?? '';
  const rpc = await connectRpc(`ws://${url.host}/rpc?token=${encodeURIComponent(token)}`);
  let shot = 0;
  const screenshot = async (name: string): Promise<void> => {
    shot++;
    await page.screenshot({
      path: path.join(ARTIFACTS, `${opts.name}-${String(shot).padStart(2, '0')}-${name}.png`),
    });
  };
  return {
    page,
    ui,
    token,
    api: `${url.origin}/v1`,
    rpc,
    home,
    readClipboard: () => readClipboard(),
    screenshot,
    async readmeShot(file) {
      await screenshot(`readme-${file}`);
      if (process.env.ORCHARD_README_SHOTS === '1')
        await page.screenshot({ path: path.join(README_SHOTS, `${file}.png`) });
    },
    async stop() {
      rpc.close();
      await close();
      if (!opts.home) fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
