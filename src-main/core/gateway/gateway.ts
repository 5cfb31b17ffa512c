// The local API gateway: validate → authenticate → route (rules, fallbacks before the first byte)
// → forward (sidecar or provider, translated when formats differ) → stream back → one audit row.
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { Database, Repos } from '../db/index.ts';
import { CoreError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import { createAuditLog, type AuditLog, type AuditRecord } from './audit.ts';
import { createBreakers, type Breakers } from './breaker.ts';
import { cachedByVersion, dbVersion } from './dbCache.ts';
import { GatewayError, errorBody, toGatewayError, type Protocol } from './errors.ts';
import { availableNames, type Backend, type RouteExplanation } from './explain.ts';
import { bearer, hostName, isLoopbackHost, readBody, sendJson, write } from './http.ts';
import { apiKeys, type ApiKeys } from './keys.ts';
import { readSettings, routingService, type RoutingService } from './routing.ts';
import type { GatewaySettings } from './schema.ts';
import {
  attempt,
  ENDPOINT_PATHS,
  type Endpoint,
  type LocalBackend,
  type Outcome,
  type StreamStep,
  type Usage,
} from './upstream.ts';
import { testProvider, type ProviderTestResult } from './providerTest.ts';

export interface GatewayDeps {
  db: Database;
  repos: Repos;
  /** The sidecar (normally supervisor.request). */
  local: LocalBackend;
  /**
   * Repo ids the local backend can serve, as remembered (sidecarModelLister); with `refresh`, a fresh list
   * is asked for only when a request's name or local target is missing from the remembered one.
   */
  localModels: (() => Promise<string[]>) & {
    refresh?: (acceptAgeMs?: number) => Promise<string[]>;
  };
  log: Logger;
  /** The address the HTTP server listens on; anything but loopback makes API keys mandatory. */
  host: string;
  /** Tokens Orchard itself hands out (the web UI's per-launch token); accepted like an API key. */
  isInternalToken?: (token: string) => boolean;
  now?: () => number;
  /** Audit flush interval; default one second. */
  auditFlushMs?: number;
}

export interface Gateway {
  /** Serves /v1/*; returns false (and touches nothing) for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  explain(model: string): Promise<RouteExplanation>;
  listModels(): Promise<Array<{ id: string; kind: 'local' | 'alias' | 'profile' | 'route' }>>;
  testProvider(id: string): Promise<ProviderTestResult>;
  /** Throws a clear error when the bind address would expose the API without any key. */
  assertExposure(host: string): void;
  keys: ApiKeys;
  routing: RoutingService;
  audit: AuditLog;
  breakers: Breakers;
  settings(): GatewaySettings;
  close(): void;
}

const POSTS: Record<string, Endpoint> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'completions',
  '/v1/embeddings': 'embeddings',
  '/v1/messages': 'messages',
  '/v1/messages/count_tokens': 'count_tokens',
};

const model = z.string().min(1).max(1024);
const BODIES: Record<Endpoint, z.ZodType> = {
  chat: z.looseObject({
    model,
    messages: z.array(z.looseObject({ role: z.string() })).min(1),
    stream: z.boolean().optional(),
  }),
  completions: z.looseObject({
    model,
    prompt: z.unknown().refine((v) => v !== undefined, 'prompt is required'),
    stream: z.boolean().optional(),
  }),
  embeddings: z.looseObject({
    model,
    input: z.unknown().refine((v) => v !== undefined, 'input is required'),
  }),
  messages: z.looseObject({
    model,
    messages: z.array(z.looseObject({ role: z.string() })).min(1),
    max_tokens: z.number().int().positive(),
    stream: z.boolean().optional(),
  }),
  count_tokens: z.looseObject({
    model,
    messages: z.array(z.looseObject({ role: z.string() })).min(1),
  }),
};

export function isLoopback(host: string): boolean {
  return isLoopbackHost(host);
}

/** A LAN binding with no active key is refused before the server listens. */
export function assertExposureAllowed(host: string, activeKeys: number): void {
  if (!isLoopbackHost(host) && activeKeys === 0) {
    throw new CoreError(
      'usage',
      `refusing to serve the API on ${host} without an API key: anyone on the network could use it. ` +
        'Create one first with `orchard keys create <name>`, or bind to 127.0.0.1.',
    );
  }
}

export function createGateway(deps: GatewayDeps): Gateway {
  const now = deps.now ?? Date.now;
  const keys = apiKeys(deps.db, now);
  const routing = routingService(deps.db, deps.repos, now);
  const initial = readSettings(deps.repos);
  const audit = createAuditLog(deps.db, {
    flushMs: deps.auditFlushMs ?? 1000,
    retention: {
      maxAgeDays: initial['gateway.auditMaxAgeDays'],
      maxRows: initial['gateway.auditMaxRows'],
    },
    now,
  });
  const breakers = createBreakers({
    failureThreshold: initial['gateway.breakerFailures'],
    cooldownMs: initial['gateway.breakerCooldownMs'],
  });
  const log = deps.log;
  const loopbackBind = isLoopbackHost(deps.host);
  // Read on every request; parsed again only after a database write.
  const currentSettings = cachedByVersion(dbVersion(deps.db), () => readSettings(deps.repos));

  // Off the request path (UI, CLI, GET /v1/models), the list is at most a second old.
  const freshLocalModels = (): Promise<string[]> =>
    deps.localModels.refresh ? deps.localModels.refresh(1000) : deps.localModels();

  const explain = async (name: string): Promise<RouteExplanation> =>
    routing.explain(name, await freshLocalModels(), breakers, currentSettings());

  async function listModels() {
    const ctx = routing.context(await freshLocalModels(), breakers, currentSettings());
    const kind = (id: string) =>
      ctx.localModels.includes(id)
        ? ('local' as const)
        : id in ctx.aliases
          ? ('alias' as const)
          : ctx.profiles.some((p) => p.name === id)
            ? ('profile' as const)
            : ('route' as const);
    return availableNames(ctx).map((id) => ({ id, kind: kind(id) }));
  }

  async function modelsResponse(
    protocol: Protocol,
    id: string | null,
  ): Promise<{ status: number; body: object }> {
    const all = await listModels();
    const created = Math.floor(now() / 1000);
    const oa = (m: { id: string; kind: string }) => ({
      id: m.id,
      object: 'model',
      created,
      owned_by: `orchard-${m.kind}`,
    });
    const an = (m: { id: string; kind: string }) => ({
      type: 'model',
      id: m.id,
      display_name: m.id,
      created_at: new Date(created * 1000).toISOString(),
    });
    if (id !== null) {
      const m = all.find((x) => x.id === id);
      if (!m)
        throw new GatewayError(
          404,
          'model_not_found',
          `The model '${id}' does not exist.`,
          'model',
        );
      return { status: 200, body: protocol === 'anthropic' ? an(m) : oa(m) };
    }
    if (protocol === 'anthropic') {
      return {
        status: 200,
        body: {
          data: all.map(an),
          has_more: false,
          first_id: all[0]?.id ?? null,
          last_id: all.at(-1)?.id ?? null,
        },
      };
    }
    return { status: 200, body: { object: 'list', data: all.map(oa) } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '');
    if (path !== '/v1' && !path.startsWith('/v1/')) return false;

    const t0 = performance.now();
    // randomUUID draws from a buffered pool; randomBytes costs a syscall's worth of time per request.
    const requestId = `req_${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`;
    const protocol: Protocol =
      path.startsWith('/v1/messages') ||
      (path.startsWith('/v1/models') && req.headers['anthropic-version'] !== undefined)
        ? 'anthropic'
        : 'openai';
    const row: AuditRecord = {
      requestId,
      ts: now(),
      client: req.socket.remoteAddress ?? null,
      apiKeyId: null,
      endpoint: path,
      model: null,
      route: 'none',
      fallback: false,
      backendModel: null,
      status: 0,
      errorCode: null,
      ttftMs: null,
      durationMs: null,
      promptTokens: null,
      completionTokens: null,
      streamed: false,
    };
    const baseHeaders: Record<string, string> = { 'x-request-id': requestId };
    if (protocol === 'anthropic') baseHeaders['request-id'] = requestId;

    const fail = (e: GatewayError): void => {
      row.status = e.status;
      row.errorCode = e.code;
      if (!res.headersSent) sendJson(res, e.status, errorBody(protocol, e), baseHeaders);
      else res.end();
    };

    try {
      const settings = currentSettings();
      // DNS rebinding: a page on evil.example resolving to 127.0.0.1 arrives with its own Host name.
      if (loopbackBind && !isLoopbackHost(hostName(req.headers.host))) {
        throw new GatewayError(
          403,
          'host_not_allowed',
          `Host '${req.headers.host ?? ''}' is not allowed on a loopback-bound server`,
        );
      }
      const origin = req.headers.origin;
      if (origin !== undefined) {
        const sameOrigin = origin === `http://${req.headers.host ?? ''}`;
        if (!sameOrigin && !settings['gateway.corsOrigins'].includes(origin)) {
          throw new GatewayError(
            403,
            'cors_origin_refused',
            `Origin '${origin}' is not on the gateway's CORS allow-list`,
          );
        }
        baseHeaders['access-control-allow-origin'] = origin;
        baseHeaders.vary = 'Origin';
        baseHeaders['access-control-expose-headers'] =
          'x-request-id, x-orchard-route, x-orchard-fallback';
      }
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          ...baseHeaders,
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers':
            'authorization, content-type, x-api-key, anthropic-version, anthropic-beta',
          'access-control-max-age': '600',
        });
        res.end();
        row.status = 204;
        return true;
      }

      const token = bearer(req);
      if (token !== null) {
        if (deps.isInternalToken?.(token)) row.apiKeyId = 'internal';
        else row.apiKeyId = keys.verify(token);
      }
      const keyRequired = settings['gateway.requireApiKey'] || !loopbackBind;
      if (keyRequired && row.apiKeyId === null) {
        throw new GatewayError(
          401,
          'invalid_api_key',
          token === null
            ? 'An API key is required (Authorization: Bearer <key> or x-api-key).'
            : 'The API key is not valid.',
        );
      }

      if (req.method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/'))) {
        const id =
          path === '/v1/models' ? null : decodeURIComponent(path.slice('/v1/models/'.length));
        const r = await modelsResponse(protocol, id);
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
      let json: unknown;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new GatewayError(400, 'invalid_json', 'The request body is not valid JSON.');
      }
      const parsed = BODIES[endpoint].safeParse(json);
      if (
        typeof json === 'object' &&
        json !== null &&
        typeof (json as { model?: unknown }).model === 'string'
      ) {
        row.model = (json as { model: string }).model;
      }
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const param = issue?.path.join('.') || null;
        throw new GatewayError(
          400,
          'invalid_request',
          `Invalid request: ${param ?? 'body'}: ${issue?.message ?? 'bad input'}`,
          param,
        );
      }
      const body = parsed.data as Record<string, unknown>;
      row.streamed =
        body.stream === true && endpoint !== 'embeddings' && endpoint !== 'count_tokens';
      await serve(endpoint, body, settings, req, res, row, baseHeaders, t0);
    } catch (e) {
      const ge = toGatewayError(e);
      if (ge.status >= 500 && !(e instanceof GatewayError))
        log.error('gateway request failed', { requestId, error: (e as Error)?.message });
      fail(ge);
    } finally {
      row.durationMs = Math.round(performance.now() - t0);
      audit.record(row);
    }
    return true;
  }

  async function serve(
    endpoint: Endpoint,
    body: Record<string, unknown>,
    settings: GatewaySettings,
    req: IncomingMessage,
    res: ServerResponse,
    row: AuditRecord,
    baseHeaders: Record<string, string>,
    t0: number,
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
          });
        } catch (e) {
          if (gone) throw clientGone();
          if (!timedOut) throw e;
          outcome = { kind: 'failed', breaker: true, error: firstTokenTimeout(settings) };
        }

        if (outcome.kind === 'stream') {
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
            res.writeHead(200, {
              ...baseHeaders,
              'content-type': 'text/event-stream; charset=utf-8',
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
            return;
          }
        }

        if (outcome.kind === 'json') {
          verdict(true);
          row.status = outcome.status;
          row.ttftMs = Math.round(performance.now() - t0);
          row.promptTokens = outcome.usage.promptTokens;
          row.completionTokens = outcome.usage.completionTokens;
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

  return {
    handle,
    explain,
    listModels,
    testProvider: (id) => testProvider(deps.repos, id),
    assertExposure: (host) => assertExposureAllowed(host, keys.activeCount()),
    keys,
    routing,
    audit,
    breakers,
    settings: () => readSettings(deps.repos),
    close: () => audit.close(),
  };
}
