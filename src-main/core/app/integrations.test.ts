// integrations.info over the real RPC: the served address, the key requirement following the setting,
// and the names a client may send (a profile among them), without a sidecar.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { connectRpc, type RpcClient } from '../rpc/index.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { startCore, type Core } from './index.ts';

describe('integrations.info', () => {
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

  it('reports the API address, the key requirement and the names clients may send', async () => {
    await rpc.call('profiles.create', { name: 'coder', model: 'org/m' });
    const info = await rpc.call('integrations.info');
    expect(info.apiBaseUrl).toBe(`http://127.0.0.1:${core.web!.port}/v1`);
    expect(info.keyRequired).toBe(false);
    expect(info.models).toContainEqual({ id: 'coder', kind: 'profile', contextLength: null });

    await rpc.call('settings.set', { requireApiKey: true });
    expect((await rpc.call('integrations.info')).keyRequired).toBe(true);
  });
});
