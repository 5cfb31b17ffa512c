// What every fuzzed HTTP answer must satisfy: an answer at all, never a 5xx, and errors in the endpoint's
// own shape (OpenAI's error object, or Anthropic's on /v1/messages*); successes must be well-formed.
import type { HttpCase } from './httpCases.ts';
import type { RawResult } from './rawHttp.ts';

export type Shape = 'openai' | 'anthropic' | 'plain' | 'any';

/**
 * The error shape the API owes this request, by the gateway's documented rules: Ollama's and LM Studio's
 * `{"error": "…"}` under /api, Anthropic's under /v1/messages (and /v1/models with anthropic-version),
 * OpenAI's for the rest of /v1 (Responses included); 'any' off the API.
 */
export function expectedShape(c: HttpCase): Shape {
  let path: string;
  try {
    path = new URL(c.path, 'http://localhost').pathname.replace(/\/+$/, '');
  } catch {
    return 'any';
  }
  if (path === '/api/v0/models' || path.startsWith('/api/v0/models/')) return 'plain';
  if ((path === '/api' || path.startsWith('/api/')) && !/^\/api\/v\d+(\/|$)/.test(path))
    return 'plain';
  if (path !== '/v1' && !path.startsWith('/v1/')) return 'any';
  const anthropicVersion = c.headers.some(([k]) => k.toLowerCase() === 'anthropic-version');
  if (path.startsWith('/v1/messages') || (path.startsWith('/v1/models') && anthropicVersion))
    return 'anthropic';
  return 'openai';
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function shapeProblem(shape: Exclude<Shape, 'any'>, body: unknown): string | null {
  if (!isObj(body)) return 'error body is not a JSON object';
  if (shape === 'plain')
    return typeof body.error === 'string' ? null : 'no `error` string (Ollama / LM Studio shape)';
  if (shape === 'openai') {
    const e = body.error;
    if (!isObj(e)) return 'no OpenAI `error` object';
    if (typeof e.message !== 'string' || typeof e.type !== 'string')
      return 'OpenAI error lacks string message/type';
    return null;
  }
  const e = body.error;
  if (body.type !== 'error' || !isObj(e)) return 'not an Anthropic {type:"error", error:{…}}';
  if (typeof e.type !== 'string' || typeof e.message !== 'string')
    return 'Anthropic error lacks string type/message';
  return null;
}

/** Node's own answers to a request its parser refuses: never from the API, never a body. */
const WIRE_STATUSES = new Set([400, 413, 414, 417, 431]);

/** A short name for a failure, to group the same fault found by many requests: status and error code. */
export function failureClass(c: HttpCase, r: RawResult, problem: string): string {
  if (r.kind === 'no-response') return `${c.endpoint} :: no answer`;
  let code = '';
  try {
    const b = JSON.parse(r.response.body.toString('utf8')) as {
      error?: { code?: unknown; type?: unknown };
    };
    code = String(b.error?.code ?? b.error?.type ?? '');
  } catch {
    // not JSON
  }
  const what = problem.split(':')[0]!.replace(/\d{4,}/g, 'N');
  return `${c.endpoint} :: ${what}${code ? ` (${code})` : ''}`;
}

/** Why this answer breaks the rules, or null when it is fine. */
export function judgeHttp(c: HttpCase, r: RawResult): string | null {
  if (r.kind === 'no-response') {
    if (c.truncatedBody || c.wire) return null;
    if (c.mayRunLong && r.reason.startsWith('no complete answer')) return null;
    return `no answer (${r.reason}) after ${r.ms} ms; got: ${JSON.stringify(r.partial)}`;
  }
  const res = r.response;
  const head = c.method === 'HEAD';
  if (res.status >= 500) return `HTTP ${res.status}: ${preview(res.body)}`;
  const fromApi = res.headers['x-request-id'] !== undefined;
  const shape = expectedShape(c);
  if (!fromApi) {
    if ((c.wire || c.truncatedBody) && WIRE_STATUSES.has(res.status)) return null;
    if (shape === 'any') return null;
    return `HTTP ${res.status} not answered by the API (no x-request-id): ${preview(res.body)}`;
  }
  if (!res.complete && !head) return `HTTP ${res.status} answer cut off: ${preview(res.body)}`;
  const type = (res.headers['content-type'] ?? [''])[0]!;
  if (res.status >= 400) {
    if (head) return null;
    if (shape === 'any') return null;
    if (!type.startsWith('application/json'))
      return `HTTP ${res.status} error with content-type ${type}: ${preview(res.body)}`;
    let body: unknown;
    try {
      body = JSON.parse(res.body.toString('utf8'));
    } catch {
      return `HTTP ${res.status} error body is not JSON: ${preview(res.body)}`;
    }
    const p = shapeProblem(shape, body);
    return p ? `HTTP ${res.status}, ${shape} shape expected: ${p}: ${preview(res.body)}` : null;
  }
  if (c.mustRefuse && res.status < 300)
    return `HTTP ${res.status} for a request that must be refused: ${c.mustRefuse}`;
  if (head || res.status === 204) return null;
  if (type.startsWith('text/event-stream')) return streamProblem(res.body.toString('utf8'), shape);
  if (type.startsWith('application/x-ndjson')) return ndjsonProblem(res.body.toString('utf8'));
  if (type.startsWith('application/json')) {
    try {
      JSON.parse(res.body.toString('utf8'));
    } catch {
      return `HTTP ${res.status} body is not JSON: ${preview(res.body)}`;
    }
  }
  return null;
}

/** A stream must carry JSON events and no error event: a valid request either fails up front or finishes. */
function streamProblem(text: string, shape: string): string | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]') continue;
    let ev: unknown;
    try {
      ev = JSON.parse(data);
    } catch {
      return `stream event is not JSON: ${JSON.stringify(data.slice(0, 200))}`;
    }
    if (
      isObj(ev) &&
      (ev.error !== undefined || ev.type === 'error' || ev.type === 'response.failed')
    )
      return `error event in a ${shape} stream: ${JSON.stringify(ev).slice(0, 300)}`;
  }
  return null;
}

/** Ollama's streams: one JSON object a line, none of them an error line. */
function ndjsonProblem(text: string): string | null {
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let ev: unknown;
    try {
      ev = JSON.parse(line);
    } catch {
      return `NDJSON line is not JSON: ${JSON.stringify(line.slice(0, 200))}`;
    }
    if (isObj(ev) && ev.error !== undefined)
      return `error line in an NDJSON stream: ${line.slice(0, 300)}`;
  }
  return null;
}

export function preview(b: Buffer, n = 300): string {
  return JSON.stringify(b.subarray(0, n).toString('utf8'));
}

/** The request as a replayable description: method, path, headers and the first bytes of the body. */
export function describeCase(c: HttpCase, bodyBytes = 400): string {
  const headers = c.headers
    .slice(0, 12)
    .map(([k, v]) => {
      const s = typeof v === 'string' ? v : `<bytes ${v.toString('hex')}>`;
      return `${k}: ${s.length > 80 ? `${s.slice(0, 80)}…(${s.length})` : s}`;
    })
    .join(' | ');
  const more = c.headers.length > 12 ? ` | …${c.headers.length - 12} more headers` : '';
  const body =
    c.body === null
      ? 'no body'
      : `${c.body.length} bytes: ${JSON.stringify(c.body.subarray(0, bodyBytes).toString('latin1'))}`;
  const path = c.path.length > 200 ? `${c.path.slice(0, 200)}…(${c.path.length})` : c.path;
  return `#${c.index} [${c.mutations.join(', ')}] ${c.method} ${path} {${headers}${more}} ${body}`;
}
