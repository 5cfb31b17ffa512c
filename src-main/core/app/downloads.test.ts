// The downloads area as core composes it: the Hub token is stored only encrypted (settings screen path) and read
// per request, so setting or clearing it applies at once; with the sidecar down, the model types it reported last
// judge support (the live query is covered by cli/serve.downloads.test.ts with the real sidecar).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { aesCipher, openDatabase } from '../db/index.ts';
import { settingsService, settingsStore } from '../settings/index.ts';
import { llamaConfig, writeFixtureRepo } from '../../../test-support/hub/fixtures.ts';
import { startHubServer, type HubServer } from '../../../test-support/hub/server.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { memoryLogger } from '../../../test-support/sidecar/kit.ts';
import { createSupervisor } from '../sidecar/index.ts';
import { libraryStore } from '../library/index.ts';
import { createDownloadsArea, MODEL_TYPES_SETTING } from './downloads.ts';

const GATED = 'meta/gated-model';
const OPEN = 'org/open-model';
let fx: ReturnType<typeof makeTempDir>;
let srv: HubServer;

beforeAll(async () => {
  fx = makeTempDir('orchard-area-fx-');
  writeFixtureRepo(fx.dir, GATED, {
    files: { 'config.json': llamaConfig(), 'weights.safetensors': { size: 2 ** 20, seed: 5 } },
    meta: { gated: 'manual' },
  });
  writeFixtureRepo(fx.dir, OPEN, { files: { 'config.json': llamaConfig() } });
  srv = await startHubServer({ root: fx.dir });
});
afterAll(async () => {
  await srv.close();
  fx.cleanup();
});

describe('downloads area', () => {
  it('keeps the Hub token encrypted at rest and reads it at each request', async () => {
    const t = makeTempDir('orchard-area-');
    const config = loadConfig({ ORCHARD_HOME: t.dir, HF_HUB_CACHE: path.join(t.dir, 'hub') });
    const db = openDatabase(config.dbPath);
    const repos = { settings: settingsStore(db), models: libraryStore(db) };
    const cipher = aesCipher(Buffer.alloc(32, 7));
    const settings = settingsService({
      store: repos.settings,
      cipher,
      defaults: { host: '127.0.0.1', port: 0 },
      running: () => ({ host: '127.0.0.1', port: null }),
      activeKeys: () => 0,
    });
    const area = createDownloadsArea({ config, db, repos, cipher, env: { HF_ENDPOINT: srv.url } });
    try {
      await expect(area.manager.pull(GATED)).rejects.toMatchObject({ code: 'unauthorized' });
      // Set after the area was built: used by the very next request.
      settings.set({ hfToken: srv.token });
      const v = await area.manager.wait((await area.manager.pull(GATED)).id);
      expect(v.status).toBe('done');
      // Nowhere in the database in plaintext.
      db.pragma('wal_checkpoint(TRUNCATE)');
      expect(fs.readFileSync(config.dbPath).includes(Buffer.from(srv.token))).toBe(false);
      const rows = db.prepare('SELECT key, value FROM settings').all() as Array<{ value: string }>;
      expect(JSON.stringify(rows)).not.toContain(srv.token);
      settings.set({ hfToken: null });
      await expect(area.hub.details(GATED)).resolves.toMatchObject({ gated: 'manual' });
      expect((await area.hub.details(GATED)).cardHtml).toBeNull(); // no token: gated files are not read
    } finally {
      await area.manager.close();
      db.close();
      t.cleanup();
    }
  });

  it('without a running sidecar, judges support by the model types it reported last, else not at all', async () => {
    const t = makeTempDir('orchard-area-');
    const config = loadConfig({ ORCHARD_HOME: t.dir, HF_HUB_CACHE: path.join(t.dir, 'hub') });
    const db = openDatabase(config.dbPath);
    const repos = { settings: settingsStore(db), models: libraryStore(db) };
    // A real supervisor that was never started (state idle): the sidecar is down.
    const sidecar = createSupervisor({
      python: config.sidecar.python,
      cwd: config.sidecar.cwd,
      hfHubCache: config.hfHubCache,
      pidFile: config.sidecarPidFile,
      log: memoryLogger().log,
    });
    const area = createDownloadsArea({
      config,
      db,
      repos,
      cipher: aesCipher(Buffer.alloc(32, 1)),
      env: { HF_ENDPOINT: srv.url },
      sidecar,
    });
    try {
      const supported = async (): Promise<boolean | null | undefined> =>
        (
          await area.handlers['hub.details']({
            repoId: OPEN,
            revision: 'main',
            contextLength: 4096,
          })
        ).fit?.supported;
      expect(await supported()).toBeNull();
      repos.settings.set(MODEL_TYPES_SETTING, ['qwen3']);
      expect(await supported()).toBe(false);
      repos.settings.set(MODEL_TYPES_SETTING, ['llama', 'qwen3']);
      expect(await supported()).toBe(true);
    } finally {
      await area.manager.close();
      db.close();
      t.cleanup();
    }
  });
});
