// The /v1 request pipeline: name the request, guard it, answer model listings, validate the body, then
// dispatch; whatever happens, the error goes back in the caller's protocol and one audit row is recorded.
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { GatewaySettings } from '#shared/contract/gatewaySettings.ts';
import type { Logger } from '../../log/index.ts';
import { GatewayError, errorBody, toGatewayError, type Protocol } from '../errors.ts';
import type { FrontAnswer, FrontEnd } from '../frontEnd.ts';
import type { AuditLog, AuditRecord } from '../store/auditLog.ts';
import { anthropicFrame } from '../translate/sseFrames.ts';
import { newAuditRow } from './auditRow.ts';
import { POSTS, parseBody, parseJson } from './bodies.ts';
import { readBody, sendJson, write } from './bodyIo.ts';
import type { Dispatch } from './dispatch.ts';
import { guard, type GuardOptions } from './guard.ts';
import type { ModelListing } from './models.ts';

export interface HandlerDeps {
  now: () => number;
  log: Logger;
  audit: AuditLog;
  /** The gateway settings, read for every request. */
  settings: () => GatewaySettings;
  guard: GuardOptions;
  models: ModelListing;
  dispatch: Dispatch;
  /** Other client APIs (Responses, Ollama), asked in order before the built-in /v1 endpoints. */
  fronts?: readonly FrontEnd[];
}

/** The model id in /v1/models/{id}, percent-decoded; bad encoding ('%E0%A4%A') is the client's error. */
function modelIdOf(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new GatewayError(
      400,
      'invalid_path',
      'The model id in the path is not valid percent-encoded UTF-8.',
      'model',
    );
  }
}

/**
 * A front-end's own stream (not a generation): each frame written as it comes; a client that leaves ends
 * the iteration (the generator's `finally` runs), an error after the first frame ends the stream.
 */
async function sendFrames(
  res: ServerResponse,
  answer: Extract<FrontAnswer, { kind: 'stream' }>,
  headers: Record<string, string>,
  row: AuditRecord,
): Promise<void> {
  row.streamed = true;
  row.status = 200;
  res.writeHead(200, {
    ...headers,
    'content-type': answer.contentType,
    'cache-control': 'no-cache',
  });
  res.socket?.setNoDelay(true);
  const gone = () => void answer.frames.return(undefined);
  res.once('close', gone);
  try {
    for await (const frame of answer.frames) {
      if (res.destroyed) break;
      await write(res, frame);
    }
  } finally {
    res.off('close', gone);
    res.end();
  }
}

/** Serves /v1/*; returns false (and touches nothing) for any other path. */
export function requestHandler(
  deps: HandlerDeps,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const { now, log } = deps;
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      // An absolute-form target that is no URL ('http://['): not an API path; the static server refuses it.
      return false;
    }
    const path = url.pathname.replace(/\/+$/, '');
    const front = deps.fronts?.find((f) => f.claims(path));
    if (!front && path !== '/v1' && !path.startsWith('/v1/')) return false;

    const t0 = performance.now();
    // randomUUID draws from a buffered pool; randomBytes costs a syscall's worth of time per request.
    const requestId = `req_${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`;
    const protocol: Protocol =
      path.startsWith('/v1/messages') ||
      (path.startsWith('/v1/models') && req.headers['anthropic-version'] !== undefined)
        ? 'anthropic'
        : 'openai';
    const row = newAuditRow(requestId, now(), req, path);
    const baseHeaders: Record<string, string> = { 'x-request-id': requestId };
    if (protocol === 'anthropic') baseHeaders['request-id'] = requestId;

    const fail = (e: GatewayError): void => {
      row.status = e.status;
      row.errorCode = e.code;
      const body = front ? front.errorBody(e) : errorBody(protocol, e);
      if (!res.headersSent) sendJson(res, e.status, body, baseHeaders);
      else {
        // Pings went out while a backend prefilled (api/keepAlive.ts), then it failed: an error event.
        if (!front && protocol === 'anthropic' && !res.writableEnded)
          res.write(anthropicFrame(body as { type: string }));
        res.end();
      }
    };

    try {
      const settings = deps.settings();
      if (guard(req, res, settings, row, baseHeaders, deps.guard)) return true;

      if (front) {
        const answer = await front.route({
          method: req.method ?? 'GET',
          path,
          url,
          headers: req.headers,
          requestId,
          json: async () => parseJson(await readBody(req, settings['gateway.maxBodyBytes'])),
          noteModel: (name) => {
            row.model = name;
          },
        });
        if (answer.kind === 'json') {
          row.status = answer.status;
          sendJson(res, answer.status, answer.body as object, baseHeaders);
          return true;
        }
        if (answer.kind === 'stream') {
          await sendFrames(res, answer, baseHeaders, row);
          return true;
        }
        if (answer.kind === 'embeddings') {
          row.model = answer.embeddings.model;
          const { body, fromJson } = answer.embeddings;
          await deps.dispatch(
            'embeddings',
            body,
            settings,
            req,
            res,
            row,
            baseHeaders,
            t0,
            undefined,
            fromJson,
          );
          return true;
        }
        const gen = answer.generation;
        row.model = gen.model;
        row.streamed = gen.stream;
        await deps.dispatch('chat', gen.chat, settings, req, res, row, baseHeaders, t0, gen);
        return true;
      }

      if (req.method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/'))) {
        const id = path === '/v1/models' ? null : modelIdOf(path.slice('/v1/models/'.length));
        const r = await deps.models.modelsResponse(protocol, id);
        row.status = r.status;
        sendJson(res, r.status, r.body, baseHeaders);
        return true;
      }
      const endpoint = POSTS[path];
      if (!endpoint)
        throw new GatewayError(404, 'unknown_endpoint', `no route for ${req.method ?? ''} ${path}`);
      if (req.method !== 'POST')
        throw new GatewayError(405, 'method_not_allowed', `${path} accepts POST only`);

      const raw = await readBody(req, settings['gateway.maxBodyBytes']);
      const body = parseBody(raw, endpoint, row);
      row.streamed =
        body.stream === true && endpoint !== 'embeddings' && endpoint !== 'count_tokens';
      await deps.dispatch(endpoint, body, settings, req, res, row, baseHeaders, t0);
    } catch (e) {
      const ge = toGatewayError(e);
      if (ge.status >= 500 && !(e instanceof GatewayError))
        log.error('gateway request failed', { requestId, error: (e as Error)?.message });
      fail(ge);
    } finally {
      row.durationMs = Math.round(performance.now() - t0);
      deps.audit.record(row);
    }
    return true;
  };
}
