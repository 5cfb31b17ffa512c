// A validated request to its backends: resolve the route, try each candidate in order until one answers
// (falling back only before the first token), abort the attempt when the client leaves, and stream back.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { GatewaySettings } from '#shared/contract/gatewaySettings.ts';
import type { Logger } from '../../log/index.ts';
import { GatewayError } from '../errors.ts';
import type { Generation } from '../frontEnd.ts';
import type { Json } from '../translate/shapes.ts';
import type { Breakers } from '../routing/breaker.ts';
import type { Backend } from '../routing/explain.ts';
import type { RoutingService } from '../routing/service.ts';
import type { AuditRecord } from '../store/auditLog.ts';
import type { StreamStep } from '../translate/framer.ts';
import type { Usage } from '../translate/usage.ts';
import { attempt, type LocalBackend } from '../upstream/attempt.ts';
import { ENDPOINT_PATHS, type Endpoint } from '../upstream/endpoints.ts';
import type { LocalModels } from '../upstream/localModels.ts';
import type { Outcome } from '../upstream/outcome.ts';
import { sendJson, write } from './bodyIo.ts';
import { DEFAULT_PING_INTERVAL_MS, keepAlive, type KeepAlive } from './keepAlive.ts';

export interface DispatchDeps {
  routing: RoutingService;
  breakers: Breakers;
  local: LocalBackend;
  localModels: LocalModels;
  log: Logger;
  now: () => number;
  /** Anthropic streams: a `ping` this often while no token has come yet (default 5 s). */
  pingIntervalMs?: number;
}

/** Serves one validated request, filling in the audit row; throws the error the client should get. */
export type Dispatch = (
  endpoint: Endpoint,
  body: Record<string, unknown>,
  settings: GatewaySettings,
  req: IncomingMessage,
  res: ServerResponse,
  row: AuditRecord,
  baseHeaders: Record<string, string>,
  t0: number,
  /** A front-end's generation; then `endpoint` is 'chat' and `body` its chat request. */
  front?: Generation,
  /** A front-end's own shape for a JSON answer (Ollama's /api/embed from /v1/embeddings). */
  reply?: (json: Json) => unknown,
) => Promise<void>;

function clientGone(): GatewayError {
  return new GatewayError(499, 'client_closed', 'the client closed the connection');
}

function firstTokenTimeout(s: GatewaySettings): GatewayError {
  return new GatewayError(
    504,
    'first_token_timeout',
    `no first token within ${s['gateway.firstTokenTimeoutMs']} ms`,
  );
}

export function createDispatch(deps: DispatchDeps): Dispatch {
  const { routing, breakers, log, now } = deps;

  async function serve(
    endpoint: Endpoint,
    body: Record<string, unknown>,
    settings: GatewaySettings,
    req: IncomingMessage,
    res: ServerResponse,
    row: AuditRecord,
    baseHeaders: Record<string, string>,
    t0: number,
    front?: Generation,
    reply?: (json: Json) => unknown,
  ): Promise<void> {
    const name = body.model as string;
    let route = routing.explain(name, await deps.localModels(), breakers, settings);
    // The remembered list may predate a model that was just downloaded: an unknown name is looked up
    // again before it is refused. A local target skipped as not on disk falls back at once, and the list
    // is refreshed behind it for the requests that follow. The common path never asks the sidecar.
    if (route.matched === null && deps.localModels.refresh) {
      route = routing.explain(name, await deps.localModels.refresh(), breakers, settings);
    } else if (
      route.candidates.some(
        (c) => !c.backend && (c.target.kind === 'local' || c.target.kind === 'profile'),
      )
    ) {
      void deps.localModels.refresh?.(1000);
    }
    if (route.matched === null) {
      const names = route.available ?? [];
      const list = names.length
        ? names.slice(0, 100).join(', ') + (names.length > 100 ? ', …' : '')
        : '(none)';
      throw new GatewayError(
        404,
        'model_not_found',
        `The model '${name}' does not exist. Available models: ${list}`,
        'model',
      );
    }

    // A client that leaves aborts the attempt under way (its upstream request) and any still to come.
    let gone = false;
    let current: AbortController | null = null;
    res.on('close', () => {
      if (res.writableFinished) return;
      gone = true;
      current?.abort();
    });

    const stream = row.streamed;
    // Claude Code and the Anthropic SDKs expect pings through a long prefill. They start once a backend
    // has accepted the stream (so a refusal such as a prompt over the window keeps its HTTP status), and
    // stop at the first token or with the response; an error after them is an event (the handler's).
    let pings: KeepAlive | null = null;
    const startPings = (): void => {
      if (pings || !stream || endpoint !== 'messages' || front) return;
      pings = keepAlive(
        res,
        () => ({
          ...baseHeaders,
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
          'x-orchard-route': row.route,
          'x-orchard-fallback': row.fallback ? '1' : '0',
        }),
        deps.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS,
      );
    };
    const failures: string[] = [];
    let lastError: GatewayError | null = null;
    let tried = 0;
    const statuses: number[] = [];
    for (const cand of route.candidates) {
      if (gone) throw clientGone();
      if (!cand.backend) {
        failures.push(`${cand.label}: ${cand.skipped ?? 'skipped'}`);
        continue;
      }
      const backend: Backend = cand.backend;
      const providerId = backend.kind === 'provider' ? backend.provider.id : null;
      if (providerId !== null && !breakers.acquire(providerId, now())) {
        failures.push(`${cand.label}: circuit open`);
        continue;
      }
      tried++;
      row.route = cand.label;
      row.backendModel = backend.model;
      row.fallback = cand.position > 0;
      const attemptAc = new AbortController();
      current = attemptAc;
      let timedOut = false;
      const timer = stream
        ? setTimeout(() => {
            timedOut = true;
            attemptAc.abort();
          }, settings['gateway.firstTokenTimeoutMs'])
        : null;
      const verdict = (ok: boolean | null, breakerFailure = true) => {
        if (providerId === null) return;
        if (ok === true) breakers.success(providerId);
        else if (ok === false && breakerFailure) breakers.failure(providerId, now());
        else breakers.release(providerId);
      };
      try {
        let outcome: Outcome;
        try {
          outcome = await attempt({
            endpoint,
            body,
            backend,
            headers: req.headers as Record<string, string | undefined>,
            signal: attemptAc.signal,
            local: deps.local,
            providerKey: routing.providerKey,
            ...(front ? { front } : {}),
            ...(reply ? { reply } : {}),
          });
        } catch (e) {
          if (gone) throw clientGone();
          if (!timedOut) throw e;
          outcome = { kind: 'failed', breaker: true, error: firstTokenTimeout(settings) };
        }

        if (outcome.kind === 'stream') {
          startPings();
          // Hold everything back until the first generated token: until then a fallback is still possible.
          const held: string[] = [];
          let committed = false;
          let failure: GatewayError | null = null;
          for (;;) {
            let step: IteratorResult<StreamStep, void>;
            try {
              step = await outcome.frames.next();
            } catch (e) {
              if (gone) throw clientGone();
              failure = timedOut
                ? firstTokenTimeout(settings)
                : e instanceof GatewayError
                  ? e
                  : new GatewayError(
                      502,
                      'upstream_interrupted',
                      `the backend stream broke: ${(e as Error).message}`,
                    );
              break;
            }
            if (step.done) {
              committed = true;
              break;
            }
            held.push(...step.value.frames);
            if (step.value.token) {
              committed = true;
              break;
            }
          }
          if (!committed) {
            outcome = { kind: 'failed', breaker: true, error: failure! };
          } else {
            if (timer) clearTimeout(timer);
            verdict(true);
            row.ttftMs = Math.round(performance.now() - t0);
            row.status = 200;
            // Set inside startPings, which TypeScript's narrowing does not see.
            (pings as KeepAlive | null)?.stop();
            if (!res.headersSent)
              res.writeHead(200, {
                ...baseHeaders,
                'content-type': front?.contentType ?? 'text/event-stream; charset=utf-8',
                'cache-control': 'no-cache',
                connection: 'keep-alive',
                'x-orchard-route': cand.label,
                'x-orchard-fallback': row.fallback ? '1' : '0',
              });
            // Headers and the held frames leave in one packet; no Nagle delay on the small SSE writes.
            res.socket?.setNoDelay(true);
            await write(res, held.join(''));
            // After the first token only the client leaving aborts this attempt's signal.
            await pump(outcome, res, attemptAc.signal, row);
            const u: Usage = outcome.usage();
            row.promptTokens = u.promptTokens;
            row.completionTokens = u.completionTokens;
            if (u.specProposed != null) {
              row.specProposed = u.specProposed;
              row.specAccepted = u.specAccepted ?? 0;
            }
            return;
          }
        }

        if (outcome.kind === 'json') {
          verdict(true);
          row.status = outcome.status;
          row.ttftMs = Math.round(performance.now() - t0);
          row.promptTokens = outcome.usage.promptTokens;
          row.completionTokens = outcome.usage.completionTokens;
          if (outcome.usage.specProposed != null) {
            row.specProposed = outcome.usage.specProposed;
            row.specAccepted = outcome.usage.specAccepted ?? 0;
          }
          sendJson(res, outcome.status, outcome.body, {
            ...baseHeaders,
            'x-orchard-route': cand.label,
            'x-orchard-fallback': row.fallback ? '1' : '0',
          });
          return;
        }
        if (outcome.kind === 'refused') {
          verdict(null);
          throw outcome.error;
        }
        // failed: release the upstream connection and fall back to the next candidate, if any.
        attemptAc.abort();
        verdict(false, outcome.breaker);
        lastError = outcome.error;
        statuses.push(outcome.error.status);
        failures.push(`${cand.label}: ${outcome.error.message}`);
        log.warn('gateway backend failed before first byte', {
          requestId: row.requestId,
          route: cand.label,
          code: outcome.error.code,
          status: outcome.error.status,
        });
      } finally {
        if (timer) clearTimeout(timer);
        current = null;
      }
    }
    if (
      tried > 0 &&
      statuses.every((st) => st === 404) &&
      (endpoint === 'embeddings' || endpoint === 'count_tokens' || endpoint === 'completions')
    ) {
      throw new GatewayError(
        404,
        'endpoint_not_available',
        `No backend for '${name}' serves ${ENDPOINT_PATHS[endpoint]}: ${failures.join('; ')}`,
      );
    }
    if (tried === 1 && lastError) throw lastError;
    if (tried === 0) {
      throw new GatewayError(
        503,
        'no_backend',
        `No backend can serve '${name}' now: ${failures.join('; ')}`,
      );
    }
    throw new GatewayError(
      503,
      'all_backends_failed',
      `Every backend for '${name}' failed before answering: ${failures.join('; ')}`,
    );
  }

  async function pump(
    outcome: Extract<Outcome, { kind: 'stream' }>,
    res: ServerResponse,
    signal: AbortSignal,
    row: AuditRecord,
  ): Promise<void> {
    try {
      for (;;) {
        const step = await outcome.frames.next();
        if (step.done) break;
        // One write per upstream chunk; the await honours backpressure ('drain').
        if (step.value.frames.length) await write(res, step.value.frames.join(''));
        if (signal.aborted) throw clientGone();
      }
    } catch (e) {
      if (signal.aborted) {
        row.status = 499;
        row.errorCode = 'client_closed';
        res.end();
        return;
      }
      // Streaming has started: no fallback, no retry. The client gets an error event in its protocol.
      const msg =
        e instanceof GatewayError ? e.message : `the backend stream broke: ${(e as Error).message}`;
      row.errorCode = e instanceof GatewayError ? e.code : 'upstream_interrupted';
      await write(res, outcome.errorFrame(msg));
    }
    res.end();
  }

  return serve;
}
