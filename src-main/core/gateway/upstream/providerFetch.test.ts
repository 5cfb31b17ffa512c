// Provider redirects over real HTTP: provider A answers 307 to a second server B on another port (another
// origin); B must receive nothing (no key, no prompt) and the caller gets a 502 naming the provider.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  NO_SIDECAR,
  startGateway,
  type GatewayServer,
} from '../../../../test-support/gateway/kit.ts';
import { makeTempDir } from '../../../../test-support/tmp.ts';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Server {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

/** A real HTTP server that records every request and answers with `reply`. */
async function server(reply: (req: Seen, res: http.ServerResponse) => void): Promise<Server> {
  const seen: Seen[] = [];
  const s = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const r = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(parts).toString('utf8'),
      };
      seen.push(r);
      reply(r, res);
    });
  });
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((ok) => {
        s.close(() => ok());
        s.closeAllConnections();
      }),
  };
}

const anthropicAnswer = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-x',
  content: [{ type: 'text', text: 'hello' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 3, output_tokens: 1 },
};

const SECRET = 'sk-ant-secret-key';
const PROMPT = 'the private prompt';

describe('provider redirects', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let gw: GatewayServer;
  let a: Server;
  let b: Server;

  beforeEach(async () => {
    tmp = makeTempDir();
    b = await server((_r, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...anthropicAnswer, data: [{ id: 'stolen' }] }));
    });
    gw = await startGateway({ dir: tmp.dir, local: NO_SIDECAR, localModels: async () => [] });
  });
  afterEach(async () => {
    await gw?.close();
    await a?.close();
    await b?.close();
    tmp.cleanup();
  });

  function anthropicProvider(baseUrl: string) {
    const p = gw.gateway.routing.addProvider({
      name: 'claude-cloud',
      format: 'anthropic',
      baseUrl,
      models: ['claude-x'],
      apiKey: SECRET,
    });
    gw.gateway.routing.addRule({
      pattern: 'claude-*',
      target: { kind: 'provider', providerId: p.id, model: 'claude-x' },
    });
    return p;
  }

  const messages = () =>
    fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-x',
        max_tokens: 5,
        messages: [{ role: 'user', content: PROMPT }],
      }),
    });

  it('a 307 to another origin sends nothing there: the caller gets a 502 naming the provider', async () => {
    a = await server((r, res) => {
      res.writeHead(307, { location: `${b.url}${r.url}` });
      res.end();
    });
    const p = anthropicProvider(a.url);

    const res = await messages();
    expect(res.status).toBe(502);
    const body = (await res.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('api_error');
    expect(body.error.message).toMatch(/provider 'claude-cloud' redirected to another origin/);
    expect(a.seen.map((r) => r.headers['x-api-key'])).toEqual([SECRET]);
    expect(b.seen).toEqual([]); // no key, no prompt, no request at all

    // "Test provider" takes the same road.
    const t = await gw.gateway.testProvider(p.id);
    expect(t.ok).toBe(false);
    expect(t.error).toMatch(/redirected to another origin/);
    expect(b.seen).toEqual([]);

    // The same in the OpenAI protocol, through translation.
    const oa = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-x', messages: [{ role: 'user', content: PROMPT }] }),
    });
    expect(oa.status).toBe(502);
    const oaBody = (await oa.json()) as { error: { code: string; type: string } };
    expect(oaBody.error).toMatchObject({ code: 'upstream_redirect', type: 'server_error' });
    expect(b.seen).toEqual([]);
  });

  it('a 307 within the same origin is followed, keeping the method, body and key', async () => {
    a = await server((r, res) => {
      if (r.url.startsWith('/v1/')) {
        res.writeHead(307, { location: r.url.replace('/v1/', '/v2/') });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(anthropicAnswer));
    });
    anthropicProvider(a.url);
    const res = await messages();
    expect(res.status).toBe(200);
    expect(((await res.json()) as typeof anthropicAnswer).content[0]!.text).toBe('hello');
    expect(a.seen.map((r) => [r.method, r.url])).toEqual([
      ['POST', '/v1/messages'],
      ['POST', '/v2/messages'],
    ]);
    expect(a.seen[1]!.headers['x-api-key']).toBe(SECRET);
    expect(a.seen[1]!.body).toContain(PROMPT);
  });

  it('a same-origin redirect loop ends in the same clear 502, after a bounded number of hops', async () => {
    a = await server((r, res) => {
      res.writeHead(308, { location: r.url });
      res.end();
    });
    anthropicProvider(a.url);
    const res = await messages();
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /provider 'claude-cloud' redirected too many times/,
    );
    expect(a.seen.length).toBeLessThanOrEqual(6);
  });
});
