// Gateway exposure and input rules over a real HTTP server and SQLite file: keys, LAN refusal, CORS,
// DNS rebinding, body limit, errors in the caller's protocol, unknown names, provider keys at rest.
import fs from 'node:fs';
import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { createGateway } from './gateway.ts';
import { NO_SIDECAR, startGateway, type GatewayServer } from '../../../test-support/gateway/kit.ts';
import { memoryLogger } from '../../../test-support/sidecar/kit.ts';
import { createRepos } from '../app/stores.ts';
import { aesCipher, openDatabase } from '../db/index.ts';
import crypto from 'node:crypto';
import path from 'node:path';

const LOCAL = ['org/local-a', 'org/local-b'];
const localModels = () => Promise.resolve(LOCAL);
const chat = { model: 'org/local-a', messages: [{ role: 'user', content: 'hi' }] };
const msg = { model: 'org/local-a', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] };

// The fields the assertions read from an error body in either protocol.
type Body = {
  error: { code?: string; param?: string | null; type?: string; message?: string };
} & Record<string, unknown>;

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Body };
}

describe('gateway security', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let gw: GatewayServer;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(async () => {
    await gw?.close();
    tmp.cleanup();
  });

  it('no key on a key-required gateway: 401 in each protocol, and an audit row for each', async () => {
    gw = await startGateway({
      dir: tmp.dir,
      local: NO_SIDECAR,
      localModels,
      settings: { 'gateway.requireApiKey': true },
    });
    const a = await post(`${gw.url}/v1/chat/completions`, chat);
    expect(a.status).toBe(401);
    expect(a.body).toEqual({
      error: {
        message: expect.stringMatching(/API key is required/),
        type: 'authentication_error',
        param: null,
        code: 'invalid_api_key',
      },
    });
    const b = await post(`${gw.url}/v1/messages`, msg, { 'x-api-key': 'ork_wrong' });
    expect(b.status).toBe(401);
    expect(b.body).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'The API key is not valid.' },
    });
    const models = await fetch(`${gw.url}/v1/models`);
    expect(models.status).toBe(401);
    gw.gateway.audit.flush();
    const rows = gw.gateway.audit.query({ status: 401 });
    expect(rows.map((r) => r.endpoint).sort()).toEqual([
      '/v1/chat/completions',
      '/v1/messages',
      '/v1/models',
    ]);
    expect(
      rows.every(
        (r) => r.errorCode === 'invalid_api_key' && r.client === '127.0.0.1' && r.apiKeyId === null,
      ),
    ).toBe(true);
  });

  it('accepts Bearer and x-api-key with a valid key, refuses it once revoked (official SDKs)', async () => {
    gw = await startGateway({
      dir: tmp.dir,
      local: NO_SIDECAR,
      localModels,
      settings: { 'gateway.requireApiKey': true },
    });
    const k = gw.gateway.keys.create('tests');
    const oa = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: k.key, maxRetries: 0 });
    expect((await oa.models.list()).data.map((m) => m.id)).toEqual(LOCAL);
    const an = new Anthropic({ baseURL: gw.url, apiKey: k.key, maxRetries: 0 });
    expect((await an.models.list()).data.map((m) => m.id)).toEqual(LOCAL);
    gw.gateway.keys.revoke(k.id);
    await expect(oa.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(
      an.messages.create(msg as Anthropic.MessageCreateParamsNonStreaming),
    ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    gw.gateway.audit.flush();
    const ok = gw.gateway.audit.query({ status: 200 });
    expect(ok.map((r) => r.apiKeyId)).toEqual([k.id, k.id]);
  });

  it('keys are optional on loopback by default, but a LAN binding needs one: refused at start without keys', async () => {
    gw = await startGateway({ dir: tmp.dir, local: NO_SIDECAR, localModels });
    expect((await fetch(`${gw.url}/v1/models`)).status).toBe(200);
    expect(() => gw.gateway.assertExposure('127.0.0.1')).not.toThrow();
    expect(() => gw.gateway.assertExposure('0.0.0.0')).toThrow(
      /refusing to serve the API on 0\.0\.0\.0 without an API key/,
    );
    expect(() => gw.gateway.assertExposure('192.168.1.20')).toThrow(/orchard keys create/);
    gw.gateway.keys.create('lan');
    expect(() => gw.gateway.assertExposure('0.0.0.0')).not.toThrow();
  });

  it('a gateway bound to a LAN address always requires a key, whatever the setting', async () => {
    // The handler is told it serves 0.0.0.0; the test still talks to it over loopback.
    gw = await startGateway({
      dir: tmp.dir,
      local: NO_SIDECAR,
      localModels,
      host: '0.0.0.0',
      settings: { 'gateway.requireApiKey': false },
    });
    expect((await fetch(`${gw.url}/v1/models`)).status).toBe(401);
    const k = gw.gateway.keys.create('lan');
    expect(
      (await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${k.key}` } }))
        .status,
    ).toBe(200);
  });

  it('CORS: off by default, refuses an origin not on the list, allows a listed one (preflight too)', async () => {
    gw = await startGateway({ dir: tmp.dir, local: NO_SIDECAR, localModels });
    const evil = await fetch(`${gw.url}/v1/models`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await evil.json()) as Body).error.code).toBe('cors_origin_refused');
    const pre = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(pre.status).toBe(403);

    gw.repos.settings.set('gateway.corsOrigins', ['https://app.example']);
    const good = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(good.status).toBe(204);
    expect(good.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(good.headers.get('access-control-allow-headers')).toContain('x-api-key');
    expect(
      (await fetch(`${gw.url}/v1/models`, { headers: { origin: 'https://evil.example' } })).status,
    ).toBe(403);
    // The web UI on the same origin is not cross-origin.
    const same = await fetch(`${gw.url}/v1/models`, { headers: { origin: gw.url } });
    expect(same.status).toBe(200);
  });

  it('refuses a foreign Host header on a loopback server (DNS rebinding)', async () => {
    gw = await startGateway({ dir: tmp.dir, local: NO_SIDECAR, localModels });
    const res = await new Promise<number>((resolve, reject) => {
      const u = new URL(gw.url);
      const req = http.request(
        {
          host: u.hostname,
          port: u.port,
          path: '/v1/models',
          headers: { host: 'rebind.evil.example:8765' },
        },
        (r) => {
          r.resume();
          resolve(r.statusCode as number);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(res).toBe(403);
  });

  it('body limit: 413 in the caller protocol, and the process keeps serving', async () => {
    gw = await startGateway({
      dir: tmp.dir,
      local: NO_SIDECAR,
      localModels,
      settings: { 'gateway.maxBodyBytes': 1024 },
    });
    const big = { ...chat, messages: [{ role: 'user', content: 'x'.repeat(5000) }] };
    const a = await post(`${gw.url}/v1/chat/completions`, big);
    expect(a.status).toBe(413);
    expect(a.body.error.code).toBe('request_too_large');
    const b = await post(`${gw.url}/v1/messages`, { ...msg, messages: big.messages });
    expect(b.status).toBe(413);
    expect(b.body).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
    expect((await fetch(`${gw.url}/v1/models`)).status).toBe(200);
  });

  it('bad input: invalid JSON, missing fields, wrong method, unknown path, all in protocol shape', async () => {
    gw = await startGateway({ dir: tmp.dir, local: NO_SIDECAR, localModels });
    const bad = await post(`${gw.url}/v1/chat/completions`, '{"model":');
    expect(bad).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_json', type: 'invalid_request_error' } },
    });
    const missing = await post(`${gw.url}/v1/messages`, {
      model: 'org/local-a',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(missing).toMatchObject({
      status: 400,
      body: {
        type: 'error',
        error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') },
      },
    });
    const empty = await post(`${gw.url}/v1/chat/completions`, {
      model: 'org/local-a',
      messages: [],
    });
    expect(empty.body.error.param).toBe('messages');
    expect((await fetch(`${gw.url}/v1/chat/completions`)).status).toBe(405);
    const unknown = await post(`${gw.url}/v1/nope`, {});
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'unknown_endpoint' } } });
    expect((await fetch(`${gw.url}/elsewhere`)).status).toBe(404); // not the gateway's: left to the server
  });

  it('an unknown model name is a 404 that lists the available names (SDK errors)', async () => {
    gw = await startGateway({ dir: tmp.dir, local: NO_SIDECAR, localModels });
    gw.repos.settings.set('gateway.aliases', { small: 'org/local-b' });
    gw.gateway.routing.addRule({
      pattern: 'gpt-4o',
      target: { kind: 'local', model: 'org/local-a' },
    });
    gw.gateway.routing.addRule({
      pattern: 'claude-*',
      target: { kind: 'local', model: 'org/local-a' },
    });
    const oa = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const e = await oa.chat.completions
      .create({ model: 'nothing', messages: [{ role: 'user', content: 'x' }] })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OpenAI.NotFoundError);
    expect((e as InstanceType<typeof OpenAI.NotFoundError>).message).toContain(
      'Available models: gpt-4o, org/local-a, org/local-b, small',
    );
    const an = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
    const e2 = await an.messages
      .create({ model: 'nothing', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
      .catch((x: unknown) => x);
    expect(e2).toBeInstanceOf(Anthropic.NotFoundError);
    const models = (await oa.models.list()).data.map((m) => [m.id, m.owned_by]);
    expect(models).toEqual([
      ['gpt-4o', 'orchard-route'],
      ['org/local-a', 'orchard-local'],
      ['org/local-b', 'orchard-local'],
      ['small', 'orchard-alias'],
    ]);
    gw.gateway.audit.flush();
    expect(
      gw.gateway.audit.query({ errorsOnly: true }).map((r) => [r.model, r.status, r.errorCode]),
    ).toEqual([
      ['nothing', 404, 'model_not_found'],
      ['nothing', 404, 'model_not_found'],
    ]);
  });

  it('the sidecar being down is a clear 503 in protocol shape, and the audit row says so', async () => {
    gw = await startGateway({ dir: tmp.dir, local: NO_SIDECAR, localModels });
    const r = await post(`${gw.url}/v1/chat/completions`, chat);
    expect(r.status).toBe(503);
    expect(r.body.error).toMatchObject({ code: 'backend_unreachable', type: 'server_error' });
    gw.gateway.audit.flush();
    expect(gw.gateway.audit.query()[0]).toMatchObject({
      route: 'local:org/local-a',
      status: 503,
      errorCode: 'backend_unreachable',
      fallback: false,
    });
  });

  it('stored provider keys are not readable in the database file; decrypted only on request', async () => {
    const file = path.join(tmp.dir, 'keys.db');
    const db = openDatabase(file);
    const repos = createRepos(db, aesCipher(crypto.randomBytes(32)));
    const { log } = memoryLogger();
    const g = createGateway({ db, repos, local: NO_SIDECAR, localModels, log, host: '127.0.0.1' });
    const secret = 'sk-live-ORCHARD-SECRET-0123456789abcdef';
    const p = g.routing.addProvider({
      name: 'cloud',
      format: 'openai',
      baseUrl: 'https://api.example.com/v1',
      models: ['m'],
      apiKey: secret,
    });
    g.routing.updateProvider(p.id, { models: ['m', 'n'] }); // an edit keeps the key, re-encrypted
    expect(JSON.stringify(g.routing.providers())).not.toContain(secret);
    expect(g.routing.providerKey(p.id)).toBe(secret);
    g.close();
    db.close(); // checkpoints the WAL into the file
    const bytes = fs.readFileSync(file);
    expect(bytes.includes(Buffer.from(secret))).toBe(false);
    expect(bytes.includes(Buffer.from('ORCHARD-SECRET'))).toBe(false);
    expect(bytes.includes(Buffer.from('https://api.example.com/v1'))).toBe(true); // the file is readable: the key is not
  });
});
