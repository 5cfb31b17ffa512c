// Hostile input the fuzz suite (tests/fuzz) found, each pinned here: bad percent-encoding in a model path,
// model names that live on Object.prototype, bodies too deep to forward, numbers JSON cannot carry, and an
// unparsable absolute-form target. All are the client's 4xx, in its protocol; none reaches a backend.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type GatewayServer } from '../../../../test-support/gateway/kit.ts';
import { makeTempDir } from '../../../../test-support/tmp.ts';
import type { LocalBackend } from '../upstream/attempt.ts';

const LOCAL = ['org/local-a'];

async function send(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A backend that counts what reaches it and answers every request with a short chat completion. */
function countingBackend(): LocalBackend & { calls: number } {
  const b = {
    calls: 0,
    request: () => {
      b.calls++;
      return Promise.resolve(
        Response.json({
          id: 'x',
          object: 'chat.completion',
          created: 0,
          model: 'org/local-a',
          choices: [
            { index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' },
          ],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    },
  };
  return b;
}

describe('hostile input to the gateway', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let gw: GatewayServer;
  let local: ReturnType<typeof countingBackend>;
  beforeEach(async () => {
    tmp = makeTempDir();
    local = countingBackend();
    gw = await startGateway({
      dir: tmp.dir,
      local,
      localModels: () => Promise.resolve(LOCAL),
      settings: { 'gateway.breakerFailures': 1 },
    });
  });
  afterEach(async () => {
    await gw?.close();
    tmp.cleanup();
  });

  it('a model path with bad percent-encoding is a 400 in the caller protocol, not a 500', async () => {
    for (const id of ['%E0%A4%A', '%', '%ZZ%E0']) {
      const oa = await fetch(`${gw.url}/v1/models/${id}`);
      expect(oa.status, id).toBe(400);
      expect(await oa.json()).toMatchObject({
        error: { type: 'invalid_request_error', code: 'invalid_path', param: 'model' },
      });
      const an = await fetch(`${gw.url}/v1/models/${id}`, {
        headers: { 'anthropic-version': '2023-06-01' },
      });
      expect(an.status).toBe(400);
      expect(await an.json()).toMatchObject({
        type: 'error',
        error: { type: 'invalid_request_error' },
      });
    }
    expect((await fetch(`${gw.url}/v1/models/org%2Flocal-a`)).status).toBe(200);
  });

  it("model names on Object.prototype ('constructor', '__proto__') are unknown names: 404, never a 503", async () => {
    for (const model of ['constructor', '__proto__', 'hasOwnProperty', 'valueOf', 'toString']) {
      const oa = await send(
        `${gw.url}/v1/chat/completions`,
        JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      );
      expect(oa.status, model).toBe(404);
      expect(oa.body).toMatchObject({ error: { code: 'model_not_found' } });
      expect(JSON.stringify(oa.body)).not.toMatch(/native code|function|\[object/);
      const an = await send(
        `${gw.url}/v1/messages`,
        JSON.stringify({ model, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
      );
      expect(an.status, model).toBe(404);
      expect(an.body).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
      expect((await fetch(`${gw.url}/v1/models/${model}`)).status).toBe(404);
    }
    const listed = (await (await fetch(`${gw.url}/v1/models`)).json()) as {
      data: Array<{ id: string; owned_by: string }>;
    };
    expect(listed.data).toEqual([
      expect.objectContaining({ id: 'org/local-a', owned_by: 'orchard-local' }),
    ]);
    expect(local.calls).toBe(0);
  });

  it('a 200,000-deep body is a 400 in the caller protocol, never reaches a backend, and leaves the breaker alone', async () => {
    let hits = 0;
    const cloud = http.createServer((_req, res) => {
      hits++;
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => cloud.listen(0, '127.0.0.1', r));
    try {
      const provider = gw.gateway.routing.addProvider({
        name: 'cloud',
        format: 'openai',
        baseUrl: `http://127.0.0.1:${(cloud.address() as AddressInfo).port}/v1`,
        models: ['gpt-x'],
      });
      gw.gateway.routing.addRule({
        pattern: 'gpt-*',
        target: { kind: 'provider', providerId: provider.id, model: 'gpt-x' },
      });
      const deep = '['.repeat(200_000) + ']'.repeat(200_000);
      for (const [path, model] of [
        ['/v1/chat/completions', 'gpt-x'],
        ['/v1/chat/completions', 'org/local-a'],
        ['/v1/messages', 'gpt-x'],
      ] as const) {
        const r = await send(
          `${gw.url}${path}`,
          `{"model":"${model}","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"tool_choice":${deep}}`,
        );
        expect(r.status, `${path} ${model}`).toBe(400);
        const message = JSON.stringify(r.body);
        expect(message).toMatch(/tool_choice: nested deeper than 128 levels/);
        if (path === '/v1/messages')
          expect(r.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
        else
          expect(r.body).toMatchObject({
            error: { code: 'invalid_request', param: 'tool_choice' },
          });
      }
      // Just under the limit still goes through.
      const ok = await send(
        `${gw.url}/v1/chat/completions`,
        `{"model":"org/local-a","messages":[{"role":"user","content":"hi"}],"x":${'['.repeat(100)}${']'.repeat(100)}}`,
      );
      expect(ok.status).toBe(200);
      expect(hits).toBe(0);
      expect(local.calls).toBe(1);
      expect(gw.gateway.breakers.view(provider.id, Date.now())).toMatchObject({
        state: 'closed',
        consecutiveFailures: 0,
      });
    } finally {
      await new Promise<void>((r) => cloud.close(() => r()));
    }
  });

  it('a number JSON cannot carry (1e400) is a 400, not a silently dropped limit', async () => {
    for (const n of ['1e400', '-1e400']) {
      const r = await send(
        `${gw.url}/v1/chat/completions`,
        `{"model":"org/local-a","max_tokens":${n},"messages":[{"role":"user","content":"hi"}]}`,
      );
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({
        error: {
          code: 'invalid_request',
          param: 'max_tokens',
          message: expect.stringMatching(/out of range/),
        },
      });
    }
    expect(local.calls).toBe(0);
  });

  it('an absolute-form target that is no URL is not the API’s: the server answers, nothing throws', async () => {
    const port = new URL(gw.url).port;
    const status = await new Promise<string>((resolve) => {
      let got = '';
      const s = net.connect(Number(port), '127.0.0.1', () =>
        s.write('GET http://[/v1/models HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n'),
      );
      s.on('data', (b) => (got += b.toString('latin1')));
      s.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
      s.on('error', () => undefined);
    });
    // The test server answers 404 for what the gateway passes on; before the fix the socket was destroyed.
    expect(status).toMatch(/^HTTP\/1\.1 (400|404)/);
  });
});
