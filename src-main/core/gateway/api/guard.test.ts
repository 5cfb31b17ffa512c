// The guard's CORS rule for `*` over a real gateway server: any origin is allowed only while every
// request needs an API key (the setting, or a LAN binding); otherwise a stored `*` counts for nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  NO_SIDECAR,
  startGateway,
  type GatewayServer,
} from '../../../../test-support/gateway/kit.ts';
import { makeTempDir } from '../../../../test-support/tmp.ts';

const localModels = () => Promise.resolve(['org/local-a']);
const ANY = 'https://any.example';

const preflight = (url: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'OPTIONS',
    headers: { origin: ANY, 'access-control-request-method': 'POST' },
  });

describe('CORS `*`', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let gw: GatewayServer;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(async () => {
    await gw?.close();
    tmp.cleanup();
  });

  it('with API keys required, `*` allows any origin, preflight included; the key is still checked', async () => {
    gw = await startGateway({
      dir: tmp.dir,
      local: NO_SIDECAR,
      localModels,
      settings: { 'gateway.requireApiKey': true, 'gateway.corsOrigins': ['*'] },
    });
    const pre = await preflight(gw.url);
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');

    const k = gw.gateway.keys.create('browser');
    const ok = await fetch(`${gw.url}/v1/models`, {
      headers: { origin: ANY, authorization: `Bearer ${k.key}` },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
    const noKey = await fetch(`${gw.url}/v1/models`, { headers: { origin: ANY } });
    expect(noKey.status).toBe(401);
  });

  it('a LAN binding always requires a key, so `*` is honoured there too', async () => {
    gw = await startGateway({
      dir: tmp.dir,
      local: NO_SIDECAR,
      localModels,
      host: '0.0.0.0',
      settings: { 'gateway.corsOrigins': ['*'] },
    });
    const pre = await preflight(gw.url);
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('a stored `*` with keys optional counts as no wildcard, and the gateway says so once in its log', async () => {
    gw = await startGateway({
      dir: tmp.dir,
      local: NO_SIDECAR,
      localModels,
      settings: { 'gateway.corsOrigins': ['*', 'https://app.example'] },
    });
    const pre = await preflight(gw.url);
    expect(pre.status).toBe(403);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const get = await fetch(`${gw.url}/v1/models`, { headers: { origin: ANY } });
    expect(get.status).toBe(403);
    expect(((await get.json()) as { error: { code: string } }).error.code).toBe(
      'cors_origin_refused',
    );
    // The listed origin still works.
    const listed = await fetch(`${gw.url}/v1/models`, {
      headers: { origin: 'https://app.example' },
    });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const warnings = gw.logLines.filter((l) => /CORS/.test(String(l.message)));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.level).toBe('warn');
    expect(String(warnings[0]!.message)).toMatch(/require API key/);
  });
});
