// The local API gateway: validate → authenticate → route (fallbacks before the first byte) → forward →
// stream back → one audit row. Built here from api/ (requests), routing/, upstream/ + translate/, store/.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewaySettings } from '#shared/contract/gatewaySettings.ts';
import type { Database } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import { createDispatch } from './api/dispatch.ts';
import type { FrontEnd } from './frontEnd.ts';
import { responsesFront } from './responses/front.ts';
import { responsesStore } from './store/responses.ts';
import { assertExposureAllowed } from './api/guard.ts';
import { isLoopbackHost } from '../net/index.ts';
import { requestHandler } from './api/handler.ts';
import { modelMetadata, type ModelMetadataSource } from './api/modelMetadata.ts';
import { lmStudioFront } from './lmstudio/models.ts';
import { ollamaFront } from './ollama/front.ts';
import type { ManageServices } from './ollama/manage.ts';
import type { AdminModelRow } from '../sidecar/index.ts';
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
  /**
   * The sidecar's /admin/models rows (sidecarAdmin(...).models): window, loaded state, capabilities and
   * quantization for model listings. Absent: listings carry ids only.
   */
  adminModels?: () => Promise<AdminModelRow[]>;
  /** Anthropic streams: a `ping` this often before the first token (default 5 s; tests shorten it). */
  pingIntervalMs?: number;
  /**
   * What Ollama's model routes act on (ollama/manage.ts): downloads for /api/pull, the library for
   * /api/delete, aliases and profiles for /api/copy, the sidecar's admin for keep_alive and /api/ps.
   * Absent pieces answer 501 on the routes that need them.
   */
  ollama?: ManageServices;
}

export interface Gateway {
  /** Serves /v1/*; returns false (and touches nothing) for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  explain(model: string): Promise<RouteExplanation>;
  listModels(): Promise<Array<{ id: string; kind: ModelKind }>>;
  /** What is known of each local model (api/modelMetadata.ts), for listings in other APIs. */
  metadata: ModelMetadataSource;
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

  const metadata = modelMetadata(deps.adminModels ?? (async () => []));
  const models = modelListing({
    routing,
    breakers,
    settings: currentSettings,
    localModels: freshLocalModels,
    now,
    metadata,
  });
  // Client APIs beyond chat completions and messages, each turned into chat requests (frontEnd.ts).
  const fronts: FrontEnd[] = [
    responsesFront({ store: responsesStore(deps.db, now), now }),
    lmStudioFront({ models }),
    ollamaFront({
      models,
      // After a pull or a delete, listings must show the change at once (Ollama clients list right away).
      refreshModels: async () => {
        metadata.invalidate?.();
        await deps.localModels.refresh?.();
      },
      profiles: () => routing.profiles(),
      services: deps.ollama ?? {},
      log: deps.log,
      now,
    }),
  ];
  const handle = requestHandler({
    now,
    log: deps.log,
    audit,
    settings: currentSettings,
    guard: { loopbackBind, keys, isInternalToken: deps.isInternalToken, onIgnoredWildcard },
    models,
    fronts,
    dispatch: createDispatch({
      routing,
      breakers,
      local: deps.local,
      localModels: deps.localModels,
      log: deps.log,
      now,
      ...(deps.pingIntervalMs ? { pingIntervalMs: deps.pingIntervalMs } : {}),
    }),
  });

  return {
    handle,
    explain,
    listModels: models.listModels,
    metadata,
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
