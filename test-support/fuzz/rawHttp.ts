// A raw HTTP/1.1 client for the fuzz suite: sends exactly the bytes it is given (duplicate or malformed
// headers, bad chunking, invalid UTF-8) over a socket, and reads back whatever answer there is.
import net from 'node:net';

export interface RawRequest {
  method: string;
  path: string;
  headers: Array<[string, string | Buffer]>;
  body: Buffer | null;
  /** Half-close after sending (the client gives up on a body it declared longer than it sent). */
  endAfterSend?: boolean;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string[]>;
  body: Buffer;
  /** The whole body arrived (by its length or final chunk); false when the server cut it off. */
  complete: boolean;
}

export type RawResult =
  | { kind: 'response'; response: RawResponse; ms: number }
  | { kind: 'no-response'; reason: string; ms: number; partial: string };

export function requestBytes(r: RawRequest): Buffer {
  const parts: Buffer[] = [Buffer.from(`${r.method} ${r.path} HTTP/1.1\r\n`, 'latin1')];
  for (const [k, v] of r.headers) {
    parts.push(
      Buffer.from(`${k}: `, 'latin1'),
      typeof v === 'string' ? Buffer.from(v, 'latin1') : v,
    );
    parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('connection: close\r\n\r\n'));
  if (r.body) parts.push(r.body);
  return Buffer.concat(parts);
}

/** Sends the request and reads until the server closes (the request asks it to), or `timeoutMs`. */
export function sendRaw(port: number, r: RawRequest, timeoutMs: number): Promise<RawResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = net.connect({ host: '127.0.0.1', port });
    const finish = (why: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks);
      const parsed = parseResponse(raw);
      const ms = Date.now() - t0;
      if (parsed && (why === null || parsed.complete)) {
        resolve({
          kind: 'response',
          response: { ...parsed.response, complete: parsed.complete },
          ms,
        });
      } else {
        resolve({
          kind: 'no-response',
          reason: why ?? (raw.length ? 'unparsable answer' : 'closed without an answer'),
          ms,
          partial: raw.subarray(0, 300).toString('latin1'),
        });
      }
    };
    const timer = setTimeout(() => finish(`no complete answer within ${timeoutMs} ms`), timeoutMs);
    socket.on('data', (b: Buffer) => chunks.push(b));
    socket.on('end', () => finish(null));
    socket.on('close', () => finish(null));
    // A reset while the body is still going out is normal after an early answer (413): keep what came.
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      socket.write(requestBytes(r));
      if (r.endAfterSend) socket.end();
    });
  });
}

function parseResponse(
  raw: Buffer,
): { response: Omit<RawResponse, 'complete'>; complete: boolean } | null {
  // Interim answers (100 Continue) come before the real one.
  while (/^HTTP\/1\.[01] 1\d\d /.test(raw.subarray(0, 16).toString('latin1'))) {
    const end = raw.indexOf('\r\n\r\n');
    if (end < 0) return null;
    raw = raw.subarray(end + 4);
  }
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const lines = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) return null;
  const headers: Record<string, string[]> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    (headers[k] ??= []).push(line.slice(i + 1).trim());
  }
  const rest = raw.subarray(headEnd + 4);
  const status = Number(m[1]);
  if (headers['transfer-encoding']?.some((v) => /chunked/i.test(v))) {
    const { body, complete } = dechunk(rest);
    return { response: { status, headers, body }, complete };
  }
  const len = headers['content-length'] ? Number(headers['content-length'][0]) : null;
  if (len !== null && Number.isFinite(len)) {
    return {
      response: { status, headers, body: rest.subarray(0, len) },
      complete: rest.length >= len,
    };
  }
  return { response: { status, headers, body: rest }, complete: true };
}

function dechunk(b: Buffer): { body: Buffer; complete: boolean } {
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', i);
    if (eol < 0) return { body: Buffer.concat(out), complete: false };
    const size = parseInt(b.subarray(i, eol).toString('latin1'), 16);
    if (!Number.isFinite(size)) return { body: Buffer.concat(out), complete: false };
    if (size === 0) return { body: Buffer.concat(out), complete: true };
    out.push(b.subarray(eol + 2, eol + 2 + size));
    if (eol + 2 + size > b.length) return { body: Buffer.concat(out), complete: false };
    i = eol + 2 + size + 2;
  }
}
