// "Test provider" against local stand-ins speaking the real model-listing protocols: Anthropic's paged
// /v1/models (all models, past its default page of 20) and OpenAI's /v1/models; a wrong key is a clear failure.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  NO_SIDECAR,
  startGateway,
  type GatewayServer,
} from '../../../../test-support/gateway/kit.ts';
import {
  startProviderStandIn,
  type ProviderStandIn,
} from '../../../../test-support/providers/standIn.ts';
import { makeTempDir } from '../../../../test-support/tmp.ts';

const KEY = 'sk-stand-in-key';
const MODELS = Array.from({ length: 25 }, (_, i) => `model-${String(i).padStart(2, '0')}`);

describe('provider test: the model list from the provider', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let gw: GatewayServer;
  let standIn: ProviderStandIn | undefined;

  beforeEach(async () => {
    tmp = makeTempDir();
    gw = await startGateway({ dir: tmp.dir, local: NO_SIDECAR, localModels: async () => [] });
  });
  afterEach(async () => {
    await gw?.close();
    await standIn?.close();
    tmp.cleanup();
  });

  for (const format of ['anthropic', 'openai'] as const)
    it(`${format}: lists every model the provider has, with the key in its header`, async () => {
      standIn = await startProviderStandIn({ format, apiKey: KEY, models: MODELS });
      const p = gw.gateway.routing.addProvider({
        name: format,
        format,
        baseUrl: standIn.url,
        models: [],
        apiKey: KEY,
      });
      const t = await gw.gateway.testProvider(p.id);
      expect(t).toMatchObject({ ok: true, status: 200, error: null });
      expect(t.models).toEqual(MODELS);
      expect(standIn.seen).toHaveLength(1);
      expect(standIn.seen[0]!.keyOk).toBe(true);

      const wrong = gw.gateway.routing.addProvider({
        name: `${format}-wrong`,
        format,
        baseUrl: standIn.url,
        models: [],
        apiKey: 'sk-wrong',
      });
      const w = await gw.gateway.testProvider(wrong.id);
      expect(w).toMatchObject({ ok: false, status: 401, models: [] });
      expect(w.error).toMatch(format === 'anthropic' ? /invalid x-api-key/ : /Incorrect API key/);
    });
});
