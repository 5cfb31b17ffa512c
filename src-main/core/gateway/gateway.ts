// The local API gateway: validate → authenticate → route (fallbacks before the first byte) → forward →
// stream back → one audit row. Built here from api/ (requests), routing/, upstream/ + translate/, store/.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewaySettings } from '#shared/contract/gatewaySettings.ts';
import type { Database } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import { createDispatch } from './api/dispatch.ts';
import { assertExposureAllowed } from './api/guard.ts';
import { isLoopbackHost } from '../net/index.ts';
import { requestHandler } from './api/handler.ts';
import { modelListing, type ModelKind } from './api/models.ts';
import { createBreakers, type Breakers } from './routing/breaker.ts';
import type { RouteExplanation } from './routing/explain.ts';
import type { LocalModels } from './upstream/localModels.ts';
import { readSettings, routingService, type RoutingService } from './routing/service.ts';
import { apiKeys, type ApiKeys } from './store/apiKeys.ts';
import { createAuditLog, type AuditLog } from './store/auditLog.ts';
import { cachedByVersion, dbVersion } from './store/dbCache.ts';
import type { GatewayRepos } from './store/repos.ts';
import type { LocalBackend } from './upstream/attempt.ts';
import { testProvider, type ProviderTestResult } from './upstream/providerTest.ts';

export interface GatewayDeps {
  db: Database;
  repos: GatewayRepos;
  /** The sidecar (normally supervisor.request). */
  local: LocalBackend;
  /**
   * Repo ids the local backend can serve, as remembered (sidecarModelLister); with `refresh`, a fresh list
   * is asked for only when a request's name or local target is missing from the remembered one.
   */
  localModels: LocalModels;
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
  listModels(): Promise<Array<{ id: string; kind: ModelKind }>>;
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
  const loopbackBind = isLoopbackHost(deps.host);
  let wildcardWarned = false;
  const onIgnoredWildcard = (): void => {
    if (wildcardWarned) return;
    wildcardWarned = true;
    deps.log.warn(
      'CORS origin `*` is ignored: it is honoured only when "require API key" is on (or on a LAN binding)',
    );
  };
  // Read on every request; parsed again only after a database write.
  const currentSettings = cachedByVersion(dbVersion(deps.db), () => readSettings(deps.repos));

  // Off the request path (UI, CLI, GET /v1/models), the list is at most a second old.
  const freshLocalModels = (): Promise<string[]> =>
    deps.localModels.refresh ? deps.localModels.refresh(1000) : deps.localModels();

  const explain = async (name: string): Promise<RouteExplanation> =>
    routing.explain(name, await freshLocalModels(), breakers, currentSettings());

  const models = modelListing({
    routing,
    breakers,
    settings: currentSettings,
    localModels: freshLocalModels,
    now,
  });
  const handle = requestHandler({
    now,
    log: deps.log,
    audit,
    settings: currentSettings,
    guard: { loopbackBind, keys, isInternalToken: deps.isInternalToken, onIgnoredWildcard },
    models,
    dispatch: createDispatch({
      routing,
      breakers,
      local: deps.local,
      localModels: deps.localModels,
      log: deps.log,
      now,
    }),
  });

  return {
    handle,
    explain,
    listModels: models.listModels,
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
