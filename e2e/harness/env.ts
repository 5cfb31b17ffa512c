// Where the e2e suite runs: Chromium against web mode by default, Electron when asked and present.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO_ROOT } from '../../src-main/core/config/index.ts';

export const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

/** The Electron binary's path, or null where the npm package came without it (as on the build machines). */
export function electronBinary(): string | null {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && fs.existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

/** better-sqlite3 built for Electron's ABI (built once by scripts/native-addon.mjs, as `npm start` does). */
export function electronSqlite(): string {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'native-addon.mjs')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`scripts/native-addon.mjs failed (exit ${r.status})`);
  return r.stdout.trim();
}

export function electronMode(): boolean {
  if (process.env.E2E_ELECTRON !== '1') return false;
  if (!electronBinary())
    throw new Error(
      'E2E_ELECTRON=1 but no Electron binary is installed (npm install electron without ELECTRON_SKIP_BINARY_DOWNLOAD)',
    );
  return true;
}
