// HTTP/1.1 GET for file bodies that reads straight into memory the caller owns: no buffer allocated and copied
// per 64 KiB as node:http does, so a download moves each byte socket → caller's ring → file. Keep-alive per origin.
import net from 'node:net';
import tls from 'node:tls';

export interface BodyReader {
  /** Memory for the next read: never empty, and not touched by the caller until onData reports what landed. */
  buffer(): Uint8Array;
  /** `n` bytes landed at the start of the last buffer(); false pauses reading until the response's resume(). */
  onData(n: number): boolean;
}

export interface RawResponse {
  status: number;
  header(name: string): string | null;
  /** Streams the body into `reader`; resolves at its end, rejects if the connection fails first. */
  read(reader: BodyReader): Promise<void>;
  resume(): void;
  /** Gives up on the rest of the body: the connection is closed unless the body is already over. */
  discard(): void;
}

export interface BodyClient {
  request(url: URL, headers: Record<string, string>, signal?: AbortSignal): Promise<RawResponse>;
  /** Closes the idle connections. */
  close(): void;
}

/** Response heads (and the first read after a head) land here; bodies go to the reader's memory. */
const HEAD_BYTES = 16 << 10;
const MAX_HEAD = 64 << 10;
/** Idle keep-alive connections are closed before servers usually drop them (Node's own default is 5 s). */
const IDLE_MS = 4000;

interface Exchange {
  resolveHead(r: RawResponse): void;
  rejectHead(e: Error): void;
  /** Ends the exchange's ties to its caller (the abort listener). */
  onDone(): void;
  head: Buffer | null;
  /** Bytes of the response received at all: a reused connection that fails before any is retried fresh. */
  seen: number;
  phase: 'head' | 'body' | 'done';
  /** Body bytes still to come; Infinity when the body runs until the connection closes. */
  remaining: number;
  keepAlive: boolean;
  /** The connection ended a body that runs until then, while bytes still waited in the stash. */
  eof: boolean;
  reader: BodyReader | null;
  readerPaused: boolean;
  /** Body bytes that arrived in the head buffer and still wait for the reader's memory. */
  stash: Buffer | null;
  resolveBody: (() => void) | null;
  rejectBody: ((e: Error) => void) | null;
  error: Error | null;
}

interface Conn {
  key: string;
  socket: net.Socket;
  headBuf: Buffer;
  ex: Exchange | null;
  /** Served an earlier exchange: a failure before any response byte means the server had dropped it. */
  reused: boolean;
}

function closedError(): Error {
  return Object.assign(new Error('connection closed by the server'), { code: 'ECONNRESET' });
}

function protocolError(message: string): Error {
  return Object.assign(new Error(`bad HTTP response: ${message}`), { code: 'EPROTO' });
}

export interface BodyClientOptions {
  /** Certificate authorities to trust instead of the defaults (a private CDN, or tests). */
  ca?: string | Buffer;
}

export function createBodyClient(opts: BodyClientOptions = {}): BodyClient {
  const idle = new Map<string, Conn[]>();
  /** Errors of requests sent on a kept-alive connection the server had already closed. */
  const stale = new WeakSet<Error>();

  function dropIdle(conn: Conn): void {
    const list = idle.get(conn.key);
    const i = list?.indexOf(conn) ?? -1;
    if (i >= 0) list!.splice(i, 1);
  }

  function connect(url: URL): Conn {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const secure = url.protocol === 'https:';
    const port = Number(url.port) || (secure ? 443 : 80);
    const headBuf = Buffer.allocUnsafe(HEAD_BYTES);
    let conn: Conn | null = null;
    const onread = {
      buffer: (): Uint8Array => {
        const ex = conn?.ex;
        return ex?.phase === 'body' && ex.reader && !ex.stash ? ex.reader.buffer() : headBuf;
      },
      callback: (n: number, buf: Uint8Array): boolean => onRead(conn!, n, buf),
    };
    const socket = secure
      ? // tls.connect takes onread as net.connect does (Node ≥ 13); @types/node only lists it for net.
        tls.connect({
          host,
          port,
          servername: net.isIP(host) ? undefined : host,
          ALPNProtocols: ['http/1.1'],
          ...(opts.ca ? { ca: opts.ca } : {}),
          onread,
        } as tls.ConnectionOptions)
      : net.connect({ host, port, onread });
    const c: Conn = {
      key: `${url.protocol}//${url.host}`,
      socket,
      headBuf,
      ex: null,
      reused: false,
    };
    conn = c;
    socket.setNoDelay(true);
    socket.on('error', (e) => fail(c, e, true));
    socket.on('end', () => onEnd(c));
    socket.on('close', () => onEnd(c));
    socket.on('timeout', () => {
      if (!c.ex) fail(c, closedError(), false);
    });
    return c;
  }

  /** Ends the connection and its exchange with `e`; `fromPeer` when the server or the network caused it. */
  function fail(conn: Conn, e: Error, fromPeer: boolean): void {
    dropIdle(conn);
    const ex = conn.ex;
    conn.ex = null;
    conn.socket.destroy();
    if (!ex || ex.phase === 'done') return;
    if (fromPeer && conn.reused && ex.seen === 0) stale.add(e);
    ex.phase = 'done';
    ex.error = e;
    ex.onDone();
    ex.rejectHead(e);
    ex.rejectBody?.(e);
  }

  function onEnd(conn: Conn): void {
    const ex = conn.ex;
    if (ex?.phase === 'body' && ex.remaining === Infinity) {
      // A body without a length ends with the connection.
      if (ex.stash) ex.eof = true;
      else finishBody(conn, ex);
      return;
    }
    fail(conn, closedError(), true);
  }

  function finishBody(conn: Conn, ex: Exchange): void {
    ex.phase = 'done';
    conn.ex = null;
    ex.onDone();
    ex.resolveBody?.();
    if (!ex.keepAlive || conn.socket.destroyed) {
      conn.socket.destroy();
      return;
    }
    conn.reused = true;
    conn.socket.resume(); // idle, it still reads: a close by the server is seen at once
    conn.socket.unref(); // an idle connection never keeps the process alive
    conn.socket.setTimeout(IDLE_MS);
    const list = idle.get(conn.key) ?? [];
    list.push(conn);
    idle.set(conn.key, list);
  }

  /** `n` body bytes are in place in the reader's memory. */
  function landed(conn: Conn, ex: Exchange, n: number): boolean {
    if (n > ex.remaining) {
      fail(conn, protocolError('more body bytes than Content-Length'), true);
      return false;
    }
    ex.remaining -= n;
    const more = ex.reader!.onData(n);
    if (ex.phase !== 'body') return false; // the reader discarded the rest
    if (ex.remaining === 0) {
      finishBody(conn, ex);
      return true;
    }
    if (!more) ex.readerPaused = true;
    return more;
  }

  /** Body bytes that sit elsewhere (the head buffer): copied into the reader's memory, as much as it takes now. */
  function deliver(conn: Conn, ex: Exchange, bytes: Buffer): boolean {
    let rest = bytes;
    while (rest.length > 0 && ex.phase === 'body') {
      if (ex.readerPaused) {
        ex.stash = rest;
        return false;
      }
      const dst = ex.reader!.buffer();
      const k = Math.min(dst.length, rest.length);
      dst.set(rest.subarray(0, k));
      rest = rest.subarray(k);
      landed(conn, ex, k);
    }
    ex.stash = null;
    if (ex.eof && ex.phase === 'body') finishBody(conn, ex);
    // A finished exchange leaves an idle connection, which keeps reading (a failed one is closed anyway).
    return ex.phase !== 'body' || !ex.readerPaused;
  }

  function parseHead(conn: Conn, ex: Exchange, text: string): RawResponse | 'informational' | null {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
    if (!m) {
      fail(conn, protocolError(`status line "${(lines[0] ?? '').slice(0, 80)}"`), true);
      return null;
    }
    const status = Number(m[2]);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      if (i <= 0) {
        fail(conn, protocolError(`header line "${line.slice(0, 80)}"`), true);
        return null;
      }
      const name = line.slice(0, i).trim().toLowerCase();
      const value = line.slice(i + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    if (status >= 100 && status < 200) return 'informational'; // 100 Continue, 103 Early Hints
    const te = headers.get('transfer-encoding');
    if (te && te.toLowerCase() !== 'identity') {
      fail(conn, protocolError(`transfer-encoding "${te}" for a file body`), true);
      return null;
    }
    const cl = headers.get('content-length');
    if (cl !== undefined && !/^\d+$/.test(cl)) {
      fail(conn, protocolError(`content-length "${cl}"`), true);
      return null;
    }
    ex.remaining = status === 204 || status === 304 ? 0 : cl !== undefined ? Number(cl) : Infinity;
    ex.keepAlive =
      m[1] === '1' &&
      ex.remaining !== Infinity &&
      !/(^|,)\s*close\s*(,|$)/i.test(headers.get('connection') ?? '');
    ex.phase = 'body';
    const resume = (): void => {
      if (ex.phase !== 'body' || !ex.reader) return;
      ex.readerPaused = false;
      if (ex.stash && !deliver(conn, ex, ex.stash)) return;
      if (ex.phase === 'body') conn.socket.resume();
    };
    return {
      status,
      header: (name) => headers.get(name.toLowerCase()) ?? null,
      read: (reader) =>
        new Promise<void>((resolve, reject) => {
          if (ex.error) return reject(ex.error);
          ex.reader = reader;
          if (ex.phase === 'done') return resolve();
          ex.resolveBody = resolve;
          ex.rejectBody = reject;
          resume();
        }),
      resume,
      discard: () => {
        // Called from onData on the body's last bytes, the connection stays good for the next request.
        if (ex.phase !== 'done' && ex.remaining !== 0)
          fail(conn, new Error('body discarded'), false);
      },
    };
  }

  function onRead(conn: Conn, n: number, buf: Uint8Array): boolean {
    const ex = conn.ex;
    if (!ex) {
      fail(conn, protocolError('bytes on an idle connection'), true);
      return false;
    }
    ex.seen += n;
    if (ex.phase === 'body') {
      if (buf !== conn.headBuf) return landed(conn, ex, n);
      // The first read after the head lands in the head buffer (no reader yet when it was handed out).
      return deliver(conn, ex, conn.headBuf.subarray(0, n));
    }
    if (ex.phase !== 'head') return false;
    // Heads are small: copy them out of the head buffer, which the next read reuses.
    const got = conn.headBuf.subarray(0, n);
    let all = ex.head ? Buffer.concat([ex.head, got]) : Buffer.from(got);
    for (;;) {
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        if (all.length > MAX_HEAD) {
          fail(conn, protocolError('head larger than 64 KiB'), true);
          return false;
        }
        ex.head = all;
        return true;
      }
      const res = parseHead(conn, ex, all.toString('latin1', 0, end));
      const rest = all.subarray(end + 4);
      if (res === null) return false; // failed
      if (res === 'informational') {
        all = rest;
        continue;
      }
      ex.head = null;
      if (rest.length > ex.remaining) {
        fail(conn, protocolError('more body bytes than Content-Length'), true);
        return false;
      }
      // The body waits for the caller's reader; what came with the head waits in the stash.
      ex.stash = rest.length > 0 ? rest : null;
      ex.readerPaused = true;
      const over = ex.remaining === 0 && !ex.stash;
      if (over) finishBody(conn, ex);
      ex.resolveHead(res);
      return over;
    }
  }

  function exchange(
    url: URL,
    head: string,
    signal: AbortSignal | undefined,
    fresh: boolean,
  ): Promise<RawResponse> {
    let conn: Conn | undefined;
    const list = fresh ? undefined : idle.get(`${url.protocol}//${url.host}`);
    while (list?.length && !conn) {
      const c = list.pop()!;
      if (!c.socket.destroyed) conn = c;
    }
    if (conn) {
      conn.socket.setTimeout(0);
      conn.socket.ref();
      conn.socket.resume();
    }
    const c = conn ?? connect(url);
    return new Promise<RawResponse>((resolve, reject) => {
      const onAbort = (): void =>
        fail(c, (signal!.reason as Error | undefined) ?? new Error('aborted'), false);
      c.ex = {
        resolveHead: resolve,
        rejectHead: reject,
        onDone: () => signal?.removeEventListener('abort', onAbort),
        head: null,
        seen: 0,
        phase: 'head',
        remaining: 0,
        keepAlive: false,
        eof: false,
        reader: null,
        readerPaused: false,
        stash: null,
        resolveBody: null,
        rejectBody: null,
        error: null,
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      c.socket.write(head);
    });
  }

  return {
    async request(url, headers, signal) {
      const lines = [`GET ${url.pathname || '/'}${url.search} HTTP/1.1`, `Host: ${url.host}`];
      for (const [k, v] of Object.entries(headers)) {
        if (/[\r\n:]/.test(k) || /[\r\n]/.test(v)) throw new TypeError(`bad header "${k}"`);
        lines.push(`${k}: ${v}`);
      }
      lines.push('Connection: keep-alive', '', '');
      const head = lines.join('\r\n');
      try {
        return await exchange(url, head, signal, false);
      } catch (e) {
        // A kept-alive connection the server had closed meanwhile: the request never reached it, send it again.
        if (!(e instanceof Error) || !stale.has(e) || signal?.aborted) throw e;
        return exchange(url, head, signal, true);
      }
    },
    close() {
      for (const list of idle.values()) for (const c of list) c.socket.destroy();
      idle.clear();
    },
  };
}
