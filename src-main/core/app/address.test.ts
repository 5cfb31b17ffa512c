// The address startCore serves on: ORCHARD_HOST/ORCHARD_PORT, else the Settings screen's saved
// server.host/server.port, else 127.0.0.1:8765; a LAN host without an API key is refused either way.
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PORT, loadConfig } from '../config/index.ts';
import { openDatabase } from '../db/index.ts';
import { SETTING_KEYS, serverAddress, settingsStore } from '../settings/index.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { startCore, type Core } from './index.ts';

/** A port that was free a moment ago (the OS picked it). */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('server address', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let core: Core | undefined;
  afterEach(async () => {
    await core?.stop();
    core = undefined;
    tmp?.cleanup();
  });

  /** A temp ORCHARD_HOME whose database holds these saved settings. */
  function home(saved: Record<string, unknown>): NodeJS.ProcessEnv {
    tmp = makeTempDir('orchard-address-');
    const env = { ORCHARD_HOME: tmp.dir, HF_HUB_CACHE: path.join(tmp.dir, 'hub') };
    const db = openDatabase(loadConfig(env).dbPath);
    const settings = settingsStore(db);
    for (const [k, v] of Object.entries(saved)) settings.set(k, v);
    db.close();
    return env;
  }
  const start = (env: NodeJS.ProcessEnv) =>
    startCore({ config: loadConfig(env), http: true, sidecar: false });
  const listening = async (c: Core) =>
    (await c.dispatcher.call('settings.get', {})) as {
      ok: true;
      result: { running: { host: string; port: number | null }; port: number };
    };

  it('serves on the saved port when ORCHARD_PORT is not set', async () => {
    const saved = await freePort();
    const env = home({ [SETTING_KEYS.port]: saved });
    core = await start(env);
    expect(core.web!.port).toBe(saved);
    expect((await fetch(`${core.web!.apiBaseUrl}/models`)).status).toBe(200);
    const view = (await listening(core)).result;
    expect(view.running).toEqual({ host: '127.0.0.1', port: saved });
    expect(view.port).toBe(saved);
  });

  it('ORCHARD_PORT and ORCHARD_HOST win over the saved values', async () => {
    const [saved, fromEnv] = [await freePort(), await freePort()];
    const env = home({ [SETTING_KEYS.port]: saved, [SETTING_KEYS.host]: '0.0.0.0' });
    // The saved LAN host would be refused (no API key); the environment's loopback host applies instead.
    core = await start({ ...env, ORCHARD_PORT: String(fromEnv), ORCHARD_HOST: '127.0.0.1' });
    expect(core.web!.port).toBe(fromEnv);
    expect((await listening(core)).result.running.host).toBe('127.0.0.1');
  });

  it('a saved LAN host still needs an API key: start-up is refused and nothing listens', async () => {
    const port = await freePort();
    // Saved while a key existed, since revoked: the Settings screen's own check no longer covers it.
    const env = home({ [SETTING_KEYS.host]: '0.0.0.0', [SETTING_KEYS.port]: port });
    await expect(start(env)).rejects.toMatchObject({
      code: 'usage',
      message: expect.stringMatching(/refusing to serve the API on 0\.0\.0\.0 without an API key/),
    });
    // The port is still free: nothing was bound.
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((r) => probe.close(r));
  });

  it('falls back to the default, and ignores a saved value that is no longer valid', () => {
    const address = (saved: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
      const base = home(saved);
      const db = openDatabase(loadConfig(base).dbPath);
      try {
        return serverAddress(loadConfig({ ...base, ...env }), settingsStore(db));
      } finally {
        db.close();
        tmp.cleanup();
      }
    };
    expect(address({})).toEqual({ host: '127.0.0.1', port: DEFAULT_PORT });
    // 11434 belongs to another model server; a host with a space is not a host.
    expect(address({ [SETTING_KEYS.port]: 11434, [SETTING_KEYS.host]: 'a b' })).toEqual({
      host: '127.0.0.1',
      port: DEFAULT_PORT,
    });
    const saved = { [SETTING_KEYS.port]: 9123, [SETTING_KEYS.host]: 'localhost' };
    expect(address(saved)).toEqual({ host: 'localhost', port: 9123 });
    // Each variable overrides only its own half.
    expect(address(saved, { ORCHARD_PORT: '9555' })).toEqual({ host: 'localhost', port: 9555 });
    expect(address(saved, { ORCHARD_HOST: '::1' })).toEqual({ host: '::1', port: 9123 });
  });
});
