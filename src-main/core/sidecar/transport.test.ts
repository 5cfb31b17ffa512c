// The sidecar transport against a real HTTP server: fetch semantics (bodies, headers, statuses), a body
// streamed as it is written, aborts and cancels that reach the server, and keep-alive reuse.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../test-support/sidecar/kit.ts';
import { sidecarHttp, type SidecarHttp } from './transport.ts';

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

describe('sidecar transport', () => {
  let server: http.Server;
  let url: string;
  let handler: Handler;
  let connections: number;
  let client: SidecarHttp;

  beforeEach(async () => {
    connections = 0;
    server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => handler(req, body, res));
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = sidecarHttp();
  });

  afterEach(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('sends method, headers and body as fetch would, and answers with a standard Response', async () => {
    handler = (req, body, res) => {
      res.writeHead(201, 'Made', { 'content-type': 'application/json', 'x-echo': 'yes' });
      res.end(
        JSON.stringify({
          method: req.method,
          path: req.url,
          type: req.headers['content-type'],
          auth: req.headers.authorization,
          length: req.headers['content-length'],
          body,
        }),
      );
    };
    const text = 'héllo';
    const res = await client.fetch(`${url}/v1/x?q=1`, {
      method: 'POST',
      headers: { Authorization: 'Bearer s' },
      body: text,
    });
    expect(res).toBeInstanceOf(Response);
    expect(res.status).toBe(201);
    expect(res.statusText).toBe('Made');
    expect(res.headers.get('x-echo')).toBe('yes');
    expect(await res.json()).toEqual({
      method: 'POST',
      path: '/v1/x?q=1',
      type: 'text/plain;charset=UTF-8',
      auth: 'Bearer s',
      length: String(Buffer.byteLength(text)),
      body: text,
    });

    const json = await client.fetch(`${url}/`, {
      method: 'POST',
      headers: new Headers({ 'Content-Type': 'application/json' }),
      body: new TextEncoder().encode('{"a":1}'),
    });
    expect(await json.json()).toMatchObject({ type: 'application/json', body: '{"a":1}' });
  });

  it('hands each written chunk to the reader before the response ends', async () => {
    let next: (() => void) | null = null;
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      next = () => (++i < 3 ? res.write(`data: ${i}\n\n`) : res.end('data: [DONE]\n\n'));
      next();
    };
    let done = 0;
    const res = await client.fetch(`${url}/s`, {}, { onDone: () => done++ });
    const reader = res.body!.getReader();
    const seen: string[] = [];
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      seen.push(Buffer.from(value).toString());
      // The server writes the next chunk only once this one has arrived: no buffering in between.
      next!();
    }
    expect(seen.join('')).toBe('data: 1\n\ndata: 2\n\ndata: [DONE]\n\n');
    expect(done).toBe(1);
  });

  it('a null-body status has no body and still reports done', async () => {
    handler = (_req, _body, res) => res.writeHead(204).end();
    let done = 0;
    const res = await client.fetch(`${url}/`, { method: 'DELETE' }, { onDone: () => done++ });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    await waitUntil(() => done === 1, 5000, 'done after a 204');
  });

  it('cancelling the body closes the connection, so the server learns the client left', async () => {
    const closed = new Promise<boolean>((resolve) => {
      handler = (_req, _body, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: first\n\n');
        res.on('close', () => resolve(res.writableFinished));
      };
    });
    let done = 0;
    const res = await client.fetch(`${url}/s`, {}, { onDone: () => done++ });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(await closed).toBe(false);
    expect(done).toBe(1);
  });

  it('an abort rejects with the signal reason before the answer, and errors the body after it', async () => {
    handler = () => {}; // never answers
    const early = new AbortController();
    const pending = client.fetch(`${url}/slow`, { signal: early.signal });
    early.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow('gave up');

    handler = (_req, _body, res) => {
      res.writeHead(200);
      res.write('part');
    };
    const late = new AbortController();
    const other = new AbortController();
    const res = await client.fetch(
      `${url}/s`,
      { signal: late.signal },
      {
        alsoAbortOn: other.signal,
        mapError: (e) => Promise.resolve(new Error(`mapped: ${(e as Error).message}`)),
      },
    );
    const reader = res.body!.getReader();
    await reader.read();
    other.abort(new Error('sidecar exited'));
    await expect(reader.read()).rejects.toThrow('mapped: sidecar exited');
  });

  it('a connection that drops mid-body errors the reader instead of ending it quietly', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200);
      res.write('part');
      setTimeout(() => res.socket!.destroy(), 10);
    };
    const res = await client.fetch(`${url}/s`);
    await expect(res.text()).rejects.toThrow();
  });

  it('reuses one keep-alive connection for requests in sequence', async () => {
    handler = (_req, _body, res) => res.end('ok');
    for (let i = 0; i < 3; i++) expect(await (await client.fetch(`${url}/`)).text()).toBe('ok');
    expect(connections).toBe(1);
  });

  it('a kept-alive socket the server dropped is retried on a new one; a fresh socket’s failure is not', async () => {
    // What uvicorn does after some error answers (found by the fuzz suite: a lone surrogate made the
    // sidecar answer 500 and drop the socket, and the next request, another client's stream, got a 503):
    // the answer comes without `connection: close`, then the socket is gone when it is next used.
    const served = new WeakMap<object, number>();
    let dropped = 0;
    handler = (req, body, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      if (n > 1 && body === 'second') {
        dropped++;
        req.socket.destroy();
        return;
      }
      res.end(`ok ${body}`);
    };
    expect(await (await client.fetch(`${url}/`, { method: 'POST', body: 'first' })).text()).toBe(
      'ok first',
    );
    const again = await client.fetch(`${url}/`, { method: 'POST', body: 'second' });
    expect(await again.text()).toBe('ok second');
    expect(dropped).toBe(1);
    expect(connections).toBe(2);

    // On a socket that was not reused, a drop is the server's answer: it surfaces.
    handler = (req) => req.socket.destroy();
    const fresh = sidecarHttp();
    try {
      await expect(fresh.fetch(`${url}/`, { method: 'POST', body: 'x' })).rejects.toThrow(
        /socket hang up/,
      );
    } finally {
      fresh.close();
    }
  });
});
