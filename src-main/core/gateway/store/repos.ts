// The tables the gateway works on, as the composition root hands them over: its own stores, and the
// settings and profiles it only reads (narrowed to the reads, so it depends on no other area's store).
import type { ProvidersStore } from './providers.ts';
import type { RoutingRulesStore } from './routingRules.ts';

export interface GatewayRepos {
  providers: ProvidersStore;
  routingRules: RoutingRulesStore;
  settings: { all(): Record<string, unknown> };
  profiles: { list(): Array<{ name: string; model: string; params: Record<string, unknown> }> };
}
