// The Ollama front-end in the gateway, without a sidecar: the guard (keys when required, the Host check),
// Ollama's error shape for bad paths, methods and bodies, LM Studio's /api/v0 left alone, copy to aliases.
import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdminModelRow } from '../../sidecar/index.ts';
import {
  NO_SIDECAR,
  startGateway,
  type GatewayServer,
} from '../../../../test-support/gateway/kit.ts';
import { makeTempDir } from '../../../../test-support/tmp.ts';

const LOCAL = ['org/local-a'];
const localModels = Object.assign(() => Promise.resolve(LOCAL), {
  refresh: () => Promise.resolve(LOCAL),
});
const row: AdminModelRow = {
  id: 'org/local-a',
  path: '/nowhere',
  revision: 'abc',
  size_bytes: 2_000_000_000,
  loads: 0,
  architecture: 'qwen3',
  context_window: 40960,
  quantization: { bits: 4, group_size: 64, mode: 'affine' },
  dtype: 'bfloat16',
  capabilities: ['completion', 'tools', 'thinking'],
  loaded: false,
};

async function call(url: string, init: RequestInit = {}) {
  const res = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('ollama front-end in the gateway', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let gw: GatewayServer;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(async () => {
    await gw?.close();
    tmp.cleanup();
  });

  it('keys when required (Bearer, as OLLAMA_API_KEY sends it), and the loopback Host check', async () => {
    gw = await startGateway({
      dir: tmp.dir,
      local: NO_SIDECAR,
      localModels,
      adminModels: async () => [row],
      settings: { 'gateway.requireApiKey': true },
    });
    const denied = await call(`${gw.url}/api/tags`);
    expect(denied.status).toBe(401);
    expect(Object.keys(denied.body)).toEqual(['error']);
    const k = gw.gateway.keys.create('ollama');
    const ok = await call(`${gw.url}/api/tags`, { headers: { authorization: `Bearer ${k.key}` } });
    expect(ok.status).toBe(200);
    expect(ok.body.models).toEqual([
      expect.objectContaining({
        name: 'org/local-a',
        size: 2_000_000_000,
        details: expect.objectContaining({ family: 'qwen3', quantization_level: '4bit' }),
      }),
    ]);
    const show = await call(`${gw.url}/api/show`, {
      method: 'POST',
      headers: { authorization: `Bearer ${k.key}` },
      body: JSON.stringify({ model: 'org/local-a:latest' }),
    });
    expect(show.body).toMatchObject({
      capabilities: ['completion', 'tools', 'thinking'],
      model_info: { 'qwen3.context_length': 40960 },
    });

    // DNS rebinding: a page on another name reaching 127.0.0.1 is refused before anything runs.
    const port = new URL(gw.url).port;
    const rebind = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/api/tags', headers: { host: `evil.example:${port}` } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(rebind.status).toBe(403);
    expect(Object.keys(JSON.parse(rebind.body) as object)).toEqual(['error']);
  });

  it('errors in Ollama’s shape; /api/v0 stays LM Studio’s; no sidecar is an error, not a hang', async () => {
    gw = await startGateway({
      dir: tmp.dir,
      local: NO_SIDECAR,
      localModels,
      adminModels: async () => [row],
    });
    const cases: Array<[string, RequestInit, number, RegExp]> = [
      ['/api/nope', {}, 404, /no route/],
      ['/api/chat', {}, 405, /accepts POST/],
      ['/api/chat', { method: 'POST', body: '{"model":' }, 400, /JSON/i],
      ['/api/chat', { method: 'POST', body: '{"messages":[]}' }, 400, /model/],
      [
        '/api/generate',
        { method: 'POST', body: '{"model":"org/local-a","prompt":"x","keep_alive":"soon"}' },
        400,
        /keep_alive/,
      ],
      ['/api/embed', { method: 'POST', body: '{"model":"org/local-a","input":[]}' }, 400, /input/],
      ['/api/push', { method: 'POST', body: '{}' }, 400, /not supported/],
      ['/api/pull', { method: 'POST', body: '{"model":"llama3.2"}' }, 501, /not available/],
      ['/api/delete', { method: 'DELETE', body: '{"model":"org/local-a"}' }, 501, /not available/],
      ['/api/show', { method: 'POST', body: '{"model":"nobody/x"}' }, 404, /not found/],
      [
        '/api/chat',
        {
          method: 'POST',
          body: '{"model":"org/local-a","messages":[{"role":"user","content":"hi"}]}',
        },
        503,
        /sidecar/,
      ],
    ];
    for (const [path, init, status, message] of cases) {
      const r = await call(`${gw.url}${path}`, init);
      expect({ path, status: r.status }).toEqual({ path, status });
      expect(Object.keys(r.body)).toEqual(['error']);
      expect(r.body.error).toMatch(message);
    }
    const v = await call(`${gw.url}/api/version`);
    expect(v.body).toEqual({ version: expect.stringMatching(/^0\.\d+\.\d+$/) });
    const lm = await call(`${gw.url}/api/v0/models`);
    expect(lm.body).toMatchObject({ object: 'list', data: [{ id: 'org/local-a', type: 'llm' }] });
    gw.gateway.audit.flush();
    const rows = gw.gateway.audit.query({ limit: 100 });
    expect(rows.some((r) => r.endpoint === '/api/chat' && r.status === 503)).toBe(true);
  });
});
