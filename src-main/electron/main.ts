// Electron entry: resolves paths from the app folder and hands over to the shell.
import path from 'node:path';
import { app } from 'electron';
import { loadConfig } from '../core/config/index.ts';
import { packagedConfig } from './layout.ts';
import { runShell, shellConfig } from './shell.ts';

const appPath = app.getAppPath();
const base = loadConfig(process.env);
runShell({
  config: app.isPackaged
    ? packagedConfig(base, { appPath, resourcesPath: process.resourcesPath, isPackaged: true })
    : shellConfig(base, appPath),
  preloadPath: path.join(appPath, 'out', 'preload', 'index.cjs'),
}).catch((e: unknown) => {
  console.error('Orchard could not start:', e);
  app.exit(1);
});
