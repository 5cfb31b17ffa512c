#!/usr/bin/env node
// `npm start`: the desktop app where an Electron binary exists, else the headless mode with the web UI.
// Electron's binary is fetched from outside the npm registry, so machines without it still get a working app.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootstrapOrExit } from './bootstrap.mjs';
import { runCoreInProcess } from './core-in-process.mjs';
import { electronVersion, ensureAddon } from './native-addon.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function electronBinary() {
  try {
    const path = createRequire(import.meta.url)('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

function launch(cmd, args, env = process.env) {
  const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

/** better-sqlite3 built for Electron's ABI (node_modules' own is built for Node), or null. */
function electronSqlite() {
  try {
    return ensureAddon({ runtime: 'electron', target: electronVersion() });
  } catch (e) {
    console.error(e.message);
    return null;
  }
}

bootstrapOrExit('start');
const electron = process.env.ORCHARD_HEADLESS === '1' ? null : electronBinary();
const sqlite = electron ? electronSqlite() : null;
if (electron && sqlite) {
  const build = spawnSync(bin('electron-vite'), ['build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  launch(electron, [root], { ...process.env, ORCHARD_SQLITE_BINDING: sqlite });
} else {
  console.log(
    electron
      ? 'SQLite could not be built for Electron (above): starting Orchard in headless mode with the web UI instead.'
      : 'No Electron binary on this machine: starting Orchard in headless mode with the web UI instead.',
  );
  await runCoreInProcess(['serve']);
}
