// Public surface of the gateway: the /v1 handler, its stores, keys, routing/providers, audit, explain,
// RPC handlers and CLI commands. Other areas import the gateway only from here.
export { createGateway, type Gateway, type GatewayDeps } from './gateway.ts';
export { assertExposureAllowed } from './api/guard.ts';
export type { Router } from './api/router.ts';
export {
  modelMetadata,
  toMetadata,
  type ModelMetadata,
  type ModelMetadataSource,
} from './api/modelMetadata.ts';
export type { DescribedModel, ModelListing } from './api/models.ts';
export type { ManageServices as OllamaServices, AliasStore, PullService } from './ollama/manage.ts';
export { gatewayHandlers, type GatewayHandlers } from './handlers.ts';
export {
  sidecarModelLister,
  type LocalModelLister,
  type LocalModels,
} from './upstream/localModels.ts';
export {
  explainRoute,
  availableNames,
  type RouteExplanation,
  type RouteContext,
  type Candidate,
} from './routing/explain.ts';
export { globMatch, isLiteralPattern } from './routing/glob.ts';
export {
  createBreakers,
  type Breakers,
  type BreakerView,
  type BreakerState,
} from './routing/breaker.ts';
export { routingService, readSettings, type RoutingService } from './routing/service.ts';
export { apiKeys, type ApiKeys, type ApiKeyInfo, type CreatedKey } from './store/apiKeys.ts';
export {
  createAuditLog,
  type AuditLog,
  type AuditRecord,
  type AuditFilter,
  type DailyTotal,
} from './store/auditLog.ts';
export { providersStore, type ProviderRow, type ProvidersStore } from './store/providers.ts';
export {
  routingRulesStore,
  type RoutingRuleRow,
  type RoutingRulesStore,
} from './store/routingRules.ts';
export type { GatewayRepos } from './store/repos.ts';
export { testProvider, type ProviderTestResult } from './upstream/providerTest.ts';
export type { LocalBackend } from './upstream/attempt.ts';
export { GatewayError, errorBody, type Protocol } from './errors.ts';
export type { Target, RouteRule, ProviderInfo, ProviderFormat } from './types.ts';
export { runGatewayCommand, GATEWAY_USAGE } from './cli.ts';
