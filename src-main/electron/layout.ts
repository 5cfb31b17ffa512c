// The packaged app's layout, decided before the first window and testable without Electron: the app in
// app.asar, the managed engine from resources/engine, better-sqlite3 as electron-builder rebuilt it.
import path from 'node:path';
import type { Config } from '../core/config/index.ts';

export interface AppLocation {
  /** app.getAppPath(): the app.asar of a package, the checkout in development. */
  appPath: string;
  /** process.resourcesPath: the folder that holds app.asar and the extra resources. */
  resourcesPath: string;
  isPackaged: boolean;
}

export function packagedConfig(base: Config, at: AppLocation): Config {
  return {
    ...base,
    repoRoot: at.appPath,
    rendererDir: path.join(at.appPath, 'out', 'renderer'),
    // electron-builder rebuilt the addon for Electron's ABI and unpacked it; its own loader finds it.
    sqliteBinding: undefined,
    engine: {
      mode: 'managed',
      resourcesDir: path.join(at.resourcesPath, 'engine'),
      uvCacheDir: base.engine?.uvCacheDir,
      python: base.engine?.python,
    },
    // Replaced by the engine's Python once it is installed and verified (withEngine).
    sidecar: { python: '', cwd: path.join(at.resourcesPath, 'engine') },
  };
}
