// Settings, API keys and the log tail over the real RPC transport and SQLite: valid values round-trip,
// bad ones are refused with nothing written, the Hub token is stored encrypted only.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../app/index.ts';
import { loadConfig, RESERVED_PORTS as CONFIG_RESERVED } from '../config/index.ts';
import { fileCipher } from '../db/index.ts';
import { connectRpc, type RpcClient } from '../rpc/index.ts';
import { RESERVED_PORTS } from '#shared/contract/settings.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { createLogs } from '../log/index.ts';
import { tailLogs } from '../log/tail.ts';
import { HF_TOKEN_SETTING, readHfToken } from './index.ts';

describe('settings rpc', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let core: Core;
  let rpc: RpcClient;

  beforeAll(async () => {
    tmp = makeTempDir();
    const config = loadConfig({
      ORCHARD_HOME: tmp.dir,
      ORCHARD_PORT: '0',
      HF_HUB_CACHE: path.join(tmp.dir, 'hub'),
    });
    core = await startCore({ config, http: true, sidecar: false });
    rpc = await connectRpc(`ws://127.0.0.1:${core.web!.port}/rpc?token=${core.web!.token}`);
  });
  afterAll(async () => {
    rpc?.close();
    await core?.stop();
    tmp?.cleanup();
  });

  const settingsRows = () =>
    JSON.stringify(core.db.prepare('SELECT * FROM settings ORDER BY key').all());

  it('keeps the reserved ports in step with the config loader', () => {
    expect([...RESERVED_PORTS]).toEqual([...CONFIG_RESERVED]);
  });

  it('reports defaults and the running address', async () => {
    const s = await rpc.call('settings.get');
    expect(s).toMatchObject({
      host: '127.0.0.1',
      requireApiKey: false,
      corsOrigins: [],
      modelsFolders: [],
      downloadConcurrency: 2,
      theme: 'system',
      hfTokenSet: false,
    });
    expect(s.running.port).toBe(core.web!.port);
  });

  it('saves valid values and reads them back', async () => {
    const folder = path.join(tmp.dir, 'models');
    fs.mkdirSync(folder);
    const s = await rpc.call('settings.set', {
      port: 9123,
      requireApiKey: true,
      corsOrigins: ['http://localhost:5173'],
      modelsFolders: [folder],
      downloadConcurrency: 5,
      theme: 'dark',
    });
    expect(s).toMatchObject({
      port: 9123,
      requireApiKey: true,
      corsOrigins: ['http://localhost:5173'],
      modelsFolders: [folder],
      downloadConcurrency: 5,
      theme: 'dark',
    });
    expect(core.repos.settings.get('gateway.requireApiKey')).toBe(true);
    expect(core.repos.settings.get('library.extraFolders')).toEqual([folder]);
    expect(await rpc.call('settings.get')).toEqual(s);
  });

  it('refuses a missing folder or an exposed host without a key, writing nothing', async () => {
    const before = settingsRows();
    await expect(
      rpc.call('settings.set', { theme: 'light', modelsFolders: [path.join(tmp.dir, 'nope')] }),
    ).rejects.toMatchObject({
      code: 'validation',
      message: expect.stringContaining('is not a folder'),
    });
    await expect(
      rpc.call('settings.set', { theme: 'light', host: '0.0.0.0' }),
    ).rejects.toMatchObject({ code: 'validation', message: expect.stringContaining('API key') });
    expect(settingsRows()).toBe(before);
  });

  it('refuses CORS `*` unless API keys are required, writing nothing', async () => {
    await rpc.call('settings.set', { requireApiKey: false, corsOrigins: [] });
    const before = settingsRows();
    await expect(rpc.call('settings.set', { corsOrigins: ['*'] })).rejects.toMatchObject({
      code: 'validation',
      message: expect.stringMatching(/^corsOrigins: .*require API key/),
    });
    expect(settingsRows()).toBe(before);
    const on = await rpc.call('settings.set', { requireApiKey: true, corsOrigins: ['*'] });
    expect(on).toMatchObject({ requireApiKey: true, corsOrigins: ['*'] });
    // Turning keys off would leave `*` without them.
    await expect(rpc.call('settings.set', { requireApiKey: false })).rejects.toMatchObject({
      code: 'validation',
      message: expect.stringMatching(/^corsOrigins: /),
    });
    expect(core.repos.settings.get('gateway.requireApiKey')).toBe(true);
    await rpc.call('settings.set', { requireApiKey: false, corsOrigins: [] });
  });

  it('stores the Hub token encrypted and never returns it', async () => {
    const token = 'hf_SecretToken123';
    const s = await rpc.call('settings.set', { hfToken: token });
    expect(s.hfTokenSet).toBe(true);
    expect(JSON.stringify(s)).not.toContain(token);
    const raw = fs.readFileSync(core.config.dbPath);
    expect(raw.includes(Buffer.from(token))).toBe(false);
    expect(JSON.stringify(core.repos.settings.get(HF_TOKEN_SETTING))).not.toContain(token);
    expect(readHfToken(core.repos.settings, fileCipher(core.config.secretKeyFile))).toBe(token);
    expect((await rpc.call('settings.set', { hfToken: null })).hfTokenSet).toBe(false);
    expect(readHfToken(core.repos.settings, fileCipher(core.config.secretKeyFile))).toBeNull();
  });

  it('creates, lists and revokes API keys; a key then allows a LAN host', async () => {
    const k = await rpc.call('apiKeys.create', { name: 'editor' });
    expect(k.key).toMatch(/^ork_/);
    const listed = await rpc.call('apiKeys.list');
    expect(listed.map((x) => x.name)).toContain('editor');
    expect(JSON.stringify(listed)).not.toContain(k.key);
    expect((await rpc.call('settings.set', { host: '0.0.0.0' })).host).toBe('0.0.0.0');
    const revoked = await rpc.call('apiKeys.revoke', { id: k.id });
    expect(revoked.revokedAt).not.toBeNull();
    await expect(rpc.call('apiKeys.revoke', { id: 'missing' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('tails the log files with a level filter, newest last', async () => {
    const dir = path.join(tmp.dir, 'logs-tail');
    const logs = createLogs({ dir });
    logs.gateway.warn('tail-test warning', { n: 1 });
    logs.main.info('tail-test info');
    await logs.close();
    const all = tailLogs(dir, { level: 'info', limit: 1000 });
    const warnOnly = tailLogs(dir, { level: 'warn', limit: 1000 });
    expect(all.map((e) => e.message)).toEqual(
      expect.arrayContaining(['tail-test warning', 'tail-test info']),
    );
    expect(all.findIndex((e) => e.message === 'tail-test warning')).toBeLessThan(
      all.findIndex((e) => e.message === 'tail-test info'),
    );
    expect(warnOnly.every((e) => e.level === 'warn' || e.level === 'error')).toBe(true);
    expect(warnOnly.find((e) => e.message === 'tail-test warning')).toMatchObject({
      component: 'gateway',
      meta: expect.stringContaining('"n":1'),
    });
    expect(
      tailLogs(dir, { level: 'info', component: 'main', limit: 1000 }).every(
        (e) => e.component === 'main',
      ),
    ).toBe(true);
    expect(tailLogs(dir, { level: 'info', limit: 1 })).toHaveLength(1);
  });
});
