// Public surface of the gateway: the /v1 handler, keys, routing/providers, audit, explain, CLI commands.
export { createGateway, assertExposureAllowed, type Gateway, type GatewayDeps } from './gateway.ts';
export { sidecarModelLister, type LocalModelLister } from './localModels.ts';
export {
  explainRoute,
  availableNames,
  type RouteExplanation,
  type RouteContext,
  type Candidate,
} from './explain.ts';
export { globMatch, isLiteralPattern } from './glob.ts';
export { createBreakers, type Breakers, type BreakerView, type BreakerState } from './breaker.ts';
export { apiKeys, type ApiKeys, type ApiKeyInfo, type CreatedKey } from './keys.ts';
export {
  createAuditLog,
  type AuditLog,
  type AuditRecord,
  type AuditFilter,
  type DailyTotal,
} from './audit.ts';
export { routingService, readSettings, type RoutingService } from './routing.ts';
export { testProvider, type ProviderTestResult } from './providerTest.ts';
export { GatewayError, errorBody, type Protocol } from './errors.ts';
export {
  GatewaySettings,
  ProviderInput,
  ProviderPatch,
  RuleInput,
  TargetSchema,
} from './schema.ts';
export type { Target, RouteRule, ProviderInfo, ProviderFormat } from './types.ts';
export type { LocalBackend } from './upstream.ts';
export { runGatewayCommand, GATEWAY_USAGE } from './cli.ts';
