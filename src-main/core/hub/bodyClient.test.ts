// The raw HTTP/1.1 body client against real local servers (node:http, node:https, and a raw TCP server for the
// protocol's corners): bytes land in the caller's memory intact, keep-alive, pauses, stale connections, errors.
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createBodyClient,
  type BodyClient,
  type BodyReader,
  type RawResponse,
} from './bodyClient.ts';
import { createHttp } from './hubHttp.ts';

// A self-signed certificate for localhost and 127.0.0.1, valid 2000-2999, used only by these tests.
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg0K/EDd4pvdmYa1Ty
zjy10hcyE8WUrSYzNbNmRb1NPXehRANCAARVabVeMatgIm19zdfXh/Vy5iwXPfGH
IamE2gJ8ImW/bcWsM15y80zie4YPaAKyJWVhAi+Vm/baIJxghyiBSfa7
-----END PRIVATE KEY-----
`;
const CERT = `-----BEGIN CERTIFICATE-----
MIIBWjCCAQGgAwIBAgIUNjf7xyXEoGNRVeOBzbd88aIDviswCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTAwMDEwMTAwMDAwMFoYDzI5OTkxMjMx
MDAwMDAwWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARVabVeMatgIm19zdfXh/Vy5iwXPfGHIamE2gJ8ImW/bcWsM15y80zi
e4YPaAKyJWVhAi+Vm/baIJxghyiBSfa7oy8wLTAaBgNVHREEEzARgglsb2NhbGhv
c3SHBH8AAAEwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiAcH7OB
HieHFzbRfg+WqLTYHSfq+1k2MQOhhtuWrDzAqAIgIztVHEEJyaFVYaMlRSYdCpfp
OsQzpYCdqjQEUDYCJTY=
-----END CERTIFICATE-----
`;

const BODY = crypto.randomBytes(3 * 2 ** 20 + 12345);
const SMALL = Buffer.from('{"small":true}');

/** Reads a body into `mem` in pieces of at most `piece` bytes, pausing every `pauseEvery` reads for a moment. */
function collect(
  res: RawResponse,
  opts: { piece?: number; pauseEvery?: number; onChunk?: () => void } = {},
): Promise<Buffer> {
  const mem = Buffer.alloc(opts.piece ?? 64 * 1024);
  const parts: Buffer[] = [];
  let reads = 0;
  const reader: BodyReader = {
    buffer: () => mem,
    onData(n) {
      parts.push(Buffer.from(mem.subarray(0, n)));
      opts.onChunk?.();
      if (opts.pauseEvery && ++reads % opts.pauseEvery === 0) {
        setTimeout(() => res.resume(), 2);
        return false;
      }
      return true;
    },
  };
  return res.read(reader).then(() => Buffer.concat(parts));
}

function listen(s: net.Server): Promise<number> {
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
}

let plain: http.Server;
let secure: https.Server;
let base = '';
let sbase = '';
const sockets = new Set<net.Socket>();
let connections = 0;
let client: BodyClient;

function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/small') {
    res.writeHead(200, { 'Content-Length': SMALL.length });
    res.end(SMALL);
    return;
  }
  if (url.pathname === '/redirect') {
    res.writeHead(302, { Location: '/big', 'Content-Length': 0 });
    res.end();
    return;
  }
  if (url.pathname === '/redirect-body') {
    const text = 'Found. Redirecting to /big';
    res.writeHead(302, { Location: '/big', 'Content-Length': text.length });
    res.end(text);
    return;
  }
  if (url.pathname === '/chunked') {
    res.writeHead(200, { 'Content-Type': 'text/plain' }); // no length: node:http sends it chunked
    res.write('part one, ');
    res.end('part two');
    return;
  }
  if (url.pathname === '/echo-headers') {
    const text = JSON.stringify(req.headers);
    res.writeHead(200, { 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  const end = m ? Math.min(Number(m[2]), BODY.length - 1) : BODY.length - 1;
  res.writeHead(m ? 206 : 200, {
    'Content-Length': end - start + 1,
    ...(m ? { 'Content-Range': `bytes ${start}-${end}/${BODY.length}` } : {}),
  });
  // Written in pieces so the client sees many reads.
  let at = start;
  const pump = (): void => {
    while (at <= end) {
      const n = Math.min(100_000, end - at + 1);
      const ok = res.write(BODY.subarray(at, at + n));
      at += n;
      if (!ok) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}

beforeAll(async () => {
  plain = http.createServer(serve);
  secure = https.createServer({ key: KEY, cert: CERT }, serve);
  for (const s of [plain, secure]) {
    s.on('connection', (sock: net.Socket) => {
      connections++;
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
  }
  base = `http://127.0.0.1:${await listen(plain)}`;
  sbase = `https://localhost:${await listen(secure)}`;
});

afterEach(() => {
  client?.close();
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([plain, secure].map((s) => new Promise((r) => s.close(r))));
});

describe('body client', () => {
  it('reads a body straight into the caller memory, byte for byte, through pauses', async () => {
    client = createBodyClient();
    const res = await client.request(new URL(`${base}/big`), {});
    expect(res.status).toBe(200);
    expect(res.header('Content-Length')).toBe(String(BODY.length));
    const got = await collect(res, { piece: 7000, pauseEvery: 5 });
    expect(got.equals(BODY)).toBe(true);
  });

  it('sends the range and headers given, and reads a 206', async () => {
    client = createBodyClient();
    const res = await client.request(new URL(`${base}/big`), { range: 'bytes=1000-2999' });
    expect(res.status).toBe(206);
    expect(res.header('content-range')).toBe(`bytes 1000-2999/${BODY.length}`);
    expect((await collect(res)).equals(BODY.subarray(1000, 3000))).toBe(true);
    const echo = await client.request(new URL(`${base}/echo-headers`), {
      'User-Agent': 'orchard/x',
    });
    const headers = JSON.parse((await collect(echo)).toString()) as Record<string, string>;
    expect(headers['user-agent']).toBe('orchard/x');
    expect(headers.host).toBe(new URL(base).host);
  });

  it('keeps the connection alive across requests, also after a body that came with the head', async () => {
    client = createBodyClient();
    const before = connections;
    for (let i = 0; i < 3; i++) {
      const small = await client.request(new URL(`${base}/small`), {});
      expect((await collect(small)).equals(SMALL)).toBe(true);
      const redirect = await client.request(new URL(`${base}/redirect`), {});
      expect(redirect.status).toBe(302);
      redirect.discard(); // an empty body: the connection stays good
      const big = await client.request(new URL(`${base}/big`), { range: 'bytes=0-99999' });
      expect((await collect(big)).equals(BODY.subarray(0, 100000))).toBe(true);
    }
    expect(connections - before).toBe(1);
  });

  it('follows redirects through the Http client, reusing the connection a redirect with a body came on', async () => {
    const http = createHttp({ hubUrl: base });
    const before = connections;
    for (let i = 0; i < 3; i++) {
      const res = await http.get(`${base}/redirect-body`, { headers: { range: 'bytes=10-19' } });
      expect(res.status).toBe(206);
      expect(res.url).toBe(`${base}/big`);
      expect((await collect(res)).equals(BODY.subarray(10, 20))).toBe(true);
    }
    expect(connections - before).toBe(1);
  });

  it('speaks TLS with the same reads into caller memory', async () => {
    client = createBodyClient({ ca: CERT });
    const res = await client.request(new URL(`${sbase}/big`), { range: 'bytes=5-1048580' });
    expect(res.status).toBe(206);
    expect((await collect(res, { pauseEvery: 3 })).equals(BODY.subarray(5, 1048581))).toBe(true);
    const again = await client.request(new URL(`${sbase}/small`), {});
    expect((await collect(again)).equals(SMALL)).toBe(true);
  });

  it('refuses a chunked body with a clear error, and an untrusted certificate', async () => {
    client = createBodyClient();
    await expect(client.request(new URL(`${base}/chunked`), {})).rejects.toThrow(
      /bad HTTP response: transfer-encoding "chunked"/,
    );
    await expect(client.request(new URL(`${sbase}/small`), {})).rejects.toThrow(/self.signed/);
  });

  it('an abort mid-body rejects with its reason; discard mid-body leaves the next request working', async () => {
    client = createBodyClient();
    const ac = new AbortController();
    const res = await client.request(new URL(`${base}/big`), {}, ac.signal);
    let reads = 0;
    const reason = new Error('paused by the user');
    await expect(
      collect(res, {
        onChunk: () => {
          if (++reads === 3) ac.abort(reason);
        },
      }),
    ).rejects.toBe(reason);

    const res2 = await client.request(new URL(`${base}/big`), {});
    const mem = Buffer.alloc(4096);
    let seen = 0;
    const body = res2.read({
      buffer: () => mem,
      onData: (n) => {
        seen += n;
        if (seen > 10_000) res2.discard();
        return true;
      },
    });
    await expect(body).rejects.toThrow(/discarded/);
    const res3 = await client.request(new URL(`${base}/small`), {});
    expect((await collect(res3)).equals(SMALL)).toBe(true);
  });
});

describe('body client on a raw server', () => {
  let raw: net.Server;
  let rawBase = '';
  let onConn: (s: net.Socket, n: number) => void = () => {};
  let accepted = 0;

  beforeAll(async () => {
    raw = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      onConn(s, ++accepted);
    });
    rawBase = `http://127.0.0.1:${await listen(raw)}`;
  });
  afterAll(() => new Promise<void>((r) => raw.close(() => r())));

  /** Calls `answer` with each request head the socket receives. */
  function onRequests(s: net.Socket, answer: (head: string, i: number) => void): void {
    let buf = '';
    let i = 0;
    s.on('data', (b) => {
      buf += b.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        answer(head, i++);
      }
    });
  }

  it('reads a head split across many reads, after an informational 103 head', async () => {
    onConn = (s) =>
      onRequests(s, () => {
        const text =
          'HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n' +
          'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Thing: a\r\nX-Thing: b\r\n\r\nhello';
        let i = 0;
        const drip = (): void => {
          if (i >= text.length) return;
          s.write(text.slice(i, i + 7));
          i += 7;
          setTimeout(drip, 1);
        };
        drip();
      });
    client = createBodyClient();
    const res = await client.request(new URL(`${rawBase}/x`), {});
    expect(res.status).toBe(200);
    expect(res.header('x-thing')).toBe('a, b');
    expect((await collect(res)).toString()).toBe('hello');
  });

  it('reads a body without a length until the server closes', async () => {
    onConn = (s) =>
      onRequests(s, () => {
        s.write('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nfirst ');
        setTimeout(() => s.end('and last'), 5);
      });
    client = createBodyClient();
    const res = await client.request(new URL(`${rawBase}/x`), {});
    expect((await collect(res)).toString()).toBe('first and last');
  });

  it('sends the request again on a fresh connection when the kept-alive one was closed by the server', async () => {
    onConn = (s, n) =>
      onRequests(s, (_head, i) => {
        // The first connection answers once, then drops the next request unanswered, as a server whose idle
        // timeout fired at the same moment would.
        if (n === 1 && i === 1) return void s.destroy();
        s.write(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n${n}${i}`);
      });
    accepted = 0;
    client = createBodyClient();
    const a = await client.request(new URL(`${rawBase}/x`), {});
    expect((await collect(a)).toString()).toBe('10');
    const b = await client.request(new URL(`${rawBase}/x`), {});
    expect((await collect(b)).toString()).toBe('20');
    expect(accepted).toBe(2);
  });

  it('a connection that fails mid-body rejects the read with a connection error', async () => {
    onConn = (s) =>
      onRequests(s, () => {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part');
        setTimeout(() => s.destroy(), 5);
      });
    client = createBodyClient();
    const res = await client.request(new URL(`${rawBase}/x`), {});
    await expect(collect(res)).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});
