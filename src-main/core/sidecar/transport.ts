// HTTP to the sidecar over node:http with a keep-alive agent, answered as a standard fetch Response.
// It sits on every gateway request, where undici's fetch cost about 0.7 ms more per request (measured).
import http from 'node:http';

export interface SendOptions {
  /** Called once, when the response body has ended, failed or been cancelled. */
  onDone?: () => void;
  /** Turns an error of the body stream into the one its reader sees. */
  mapError?: (e: unknown) => Promise<unknown>;
  /** A second signal that aborts the request like init.signal (cheaper than AbortSignal.any). */
  alsoAbortOn?: AbortSignal;
}

export interface SidecarHttp {
  /** fetch(url, init) for plain http://host:port URLs, without redirects. */
  fetch(url: string, init?: RequestInit, opts?: SendOptions): Promise<Response>;
  /** Drops every socket (the child they led to is gone). */
  close(): void;
}

const NULL_BODY_STATUS = new Set([204, 205, 304]);

/** Any fetch headers as a plain record with lower-case names (what node:http takes). */
export function headerRecord(init: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!init) return out;
  if (init instanceof Headers) init.forEach((value, name) => (out[name] = value));
  else if (Array.isArray(init)) for (const [name, value] of init) out[name!.toLowerCase()] = value!;
  else for (const [name, value] of Object.entries(init)) out[name.toLowerCase()] = value;
  return out;
}

async function bodyBytes(
  body: RequestInit['body'],
  headers: Record<string, string>,
): Promise<Buffer | null> {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string') {
    headers['content-type'] ??= 'text/plain;charset=UTF-8';
    return Buffer.from(body, 'utf8');
  }
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // Whatever else fetch accepts (URLSearchParams, Blob, FormData, streams) is encoded as fetch would.
  const encoded = new Response(body);
  const type = encoded.headers.get('content-type');
  if (type) headers['content-type'] ??= type;
  return Buffer.from(await encoded.arrayBuffer());
}

/** The response body as a web stream that pauses the socket while its reader is behind. */
function webBody(
  res: http.IncomingMessage,
  finish: () => void,
  mapError: (e: unknown) => Promise<unknown>,
): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>(
    {
      start(ctrl) {
        res.on('data', (chunk: Buffer) => {
          ctrl.enqueue(chunk);
          if ((ctrl.desiredSize ?? 1) <= 0) res.pause();
        });
        res.once('end', () => {
          if (settled) return;
          settled = true;
          finish();
          ctrl.close();
        });
        const fail = (e: unknown): void => {
          if (settled) return;
          settled = true;
          finish();
          void mapError(e).then((mapped) => ctrl.error(mapped));
        };
        res.on('error', fail);
        // A socket that closes before the end without an 'error' event is still a broken body.
        res.once('close', () => {
          if (!res.complete) fail(new Error('the sidecar closed the connection mid-response'));
        });
      },
      pull() {
        res.resume();
      },
      cancel() {
        settled = true;
        finish();
        // Destroying (not draining) closes the socket, which is how the sidecar learns the client left.
        res.destroy();
      },
    },
    new CountQueuingStrategy({ highWaterMark: 8 }),
  );
}

async function send(
  agent: http.Agent,
  url: string,
  init: RequestInit,
  opts: SendOptions,
): Promise<Response> {
  const signals = [init.signal, opts.alsoAbortOn].filter((s): s is AbortSignal => !!s);
  const abortReason = (): unknown => signals.find((s) => s.aborted)?.reason;
  for (const s of signals) s.throwIfAborted();
  const headers = headerRecord(init.headers);
  const body = await bodyBytes(init.body, headers);
  if (body) headers['content-length'] = String(body.byteLength);
  for (const s of signals) s.throwIfAborted();
  const target = new URL(url);
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    for (const s of signals) s.removeEventListener('abort', onAbort);
    opts.onDone?.();
  };
  let req: http.ClientRequest | null = null;
  let res: http.IncomingMessage | null = null;
  function onAbort(): void {
    const reason = abortReason() as Error;
    req?.destroy(reason);
    res?.destroy(reason);
  }
  for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
  return new Promise<Response>((resolve, reject) => {
    const start = (retries: number): void => {
      let sent: http.ClientRequest;
      try {
        sent = http.request({
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          method: init.method ?? 'GET',
          headers,
          agent,
        });
      } catch (e) {
        finish(); // an invalid header, say: nothing was sent
        reject(e);
        return;
      }
      req = sent;
      sent.on('error', (e) => {
        if (res) return; // after the response, errors reach the body stream instead
        // A kept-alive socket the sidecar had closed (it may close one after answering an error) fails
        // the moment it is reused, before any answer: the request goes again on another socket (Node's
        // documented use of reusedSocket). Otherwise one client's bad request costs the next client its
        // answer, whoever that is.
        if (sent.reusedSocket && retries < STALE_SOCKET_RETRIES && !abortReason() && isStale(e)) {
          start(retries + 1);
          return;
        }
        finish();
        reject(abortReason() ?? e);
      });
      sent.once('response', onResponse);
      sent.end(body ?? undefined);
    };
    const onResponse = (r: http.IncomingMessage): void => {
      res = r;
      const responseHeaders = new Headers();
      for (let i = 0; i + 1 < r.rawHeaders.length; i += 2)
        responseHeaders.append(r.rawHeaders[i]!, r.rawHeaders[i + 1]!);
      const status = r.statusCode ?? 502;
      const mapError = opts.mapError ?? ((e: unknown) => Promise.resolve(e));
      let stream: ReadableStream<Uint8Array> | null = null;
      if (NULL_BODY_STATUS.has(status) || init.method === 'HEAD') {
        r.once('close', finish);
        r.resume();
      } else {
        stream = webBody(r, finish, (e) => mapError(abortReason() ?? e));
      }
      resolve(
        new Response(stream, {
          status,
          statusText: r.statusMessage ?? '',
          headers: responseHeaders,
        }),
      );
    };
    start(0);
  });
}

/** Retries of a request whose reused keep-alive socket turned out closed (each drops one dead socket). */
const STALE_SOCKET_RETRIES = 3;

function isStale(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

export function sidecarHttp(): SidecarHttp {
  // Idle sockets are dropped after 4 s, before uvicorn's 5 s keep-alive ends, so a request is never
  // written to a socket the server is closing.
  const agent = new http.Agent({ keepAlive: true, timeout: 4000 });
  return {
    fetch: (url, init = {}, opts = {}) => send(agent, url, init, opts),
    close: () => agent.destroy(),
  };
}
