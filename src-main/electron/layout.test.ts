// The packaged app's start, without Electron: the layout it computes and the engine it then selects.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config/index.ts';
import { engineFromConfig } from '../core/engine/index.ts';
import { packagedConfig } from './layout.ts';

describe('packagedConfig', () => {
  const base = loadConfig({
    ORCHARD_HOME: '/tmp/orchard-layout-home',
    ORCHARD_SQLITE_BINDING: '/x.node',
  });
  const at = {
    appPath: '/Applications/Orchard.app/Contents/Resources/app.asar',
    resourcesPath: '/Applications/Orchard.app/Contents/Resources',
    isPackaged: true,
  };

  it('serves the UI from app.asar, loads the rebuilt addon, and runs the managed engine from resources/engine', () => {
    const c = packagedConfig(base, at);
    expect(c.rendererDir).toBe(path.join(at.appPath, 'out', 'renderer'));
    expect(c.sqliteBinding).toBeUndefined();
    expect(c.engine).toMatchObject({
      mode: 'managed',
      resourcesDir: path.join(at.resourcesPath, 'engine'),
    });
    expect(c.dataDir).toBe('/tmp/orchard-layout-home');
  });

  it('selects the managed engine, whose expected version comes from the shipped engine.json', () => {
    const engine = engineFromConfig(packagedConfig(base, at), '0.1.0');
    expect(engine.mode).toBe('managed');
    // No resources at that path on this machine: the status says so instead of guessing a version.
    const s = engine.status();
    expect(s).toMatchObject({ mode: 'managed', state: 'missing', expectedVersion: null });
    expect(s.problem).toMatch(/engine's resources are missing/);
  });
});
