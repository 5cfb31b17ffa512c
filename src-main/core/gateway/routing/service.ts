// Routing rules and providers as the gateway manages them: validated CRUD over the gateway's stores,
// reordering, the route context for explainRoute, and provider keys decrypted only for a call.
import crypto from 'node:crypto';
import { GatewaySettings } from '#shared/contract/gatewaySettings.ts';
import { ProviderInput, ProviderPatch } from '#shared/contract/providers.ts';
import { RuleInput, TargetSchema } from '#shared/contract/routing.ts';
import type { Database } from '../../db/index.ts';
import { CoreError } from '../../errors/index.ts';
import { cachedByVersion, dbVersion } from '../store/dbCache.ts';
import type { GatewayRepos } from '../store/repos.ts';
import type { ProfileInfo, ProviderInfo, RouteRule, Target } from '../types.ts';
import type { Breakers } from './breaker.ts';
import { explainRoute, type RouteContext, type RouteExplanation } from './explain.ts';

export interface RoutingService {
  rules(): RouteRule[];
  providers(): ProviderInfo[];
  addRule(input: RuleInput): RouteRule;
  updateRule(id: string, patch: Partial<RuleInput>): RouteRule;
  removeRule(id: string): void;
  /** New order, first = highest priority; must name every rule exactly once. */
  reorderRules(ids: string[]): RouteRule[];
  addProvider(input: ProviderInput): ProviderInfo;
  /** keyDropped: the new base URL is on another origin and no new key came with it. */
  updateProvider(id: string, patch: ProviderPatch): ProviderInfo & { keyDropped: boolean };
  removeProvider(id: string): void;
  /** Plaintext key for one outgoing call; never cached, never logged. */
  providerKey(id: string): string | null;
  profiles(): ProfileInfo[];
  context(localModels: string[], breakers: Breakers, settings: GatewaySettings): RouteContext;
  explain(
    name: string,
    localModels: string[],
    breakers: Breakers,
    settings: GatewaySettings,
  ): RouteExplanation;
}

function invalid(
  what: string,
  e: { issues: Array<{ path: PropertyKey[]; message: string }> },
): CoreError {
  const first = e.issues[0];
  return new CoreError(
    'validation',
    `invalid ${what}: ${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'bad input'}`,
  );
}

export function readSettings(repos: Pick<GatewayRepos, 'settings'>): GatewaySettings {
  const all = repos.settings.all();
  const picked = Object.fromEntries(
    Object.keys(GatewaySettings.shape)
      .filter((k) => k in all)
      .map((k) => [k, all[k]]),
  );
  const parsed = GatewaySettings.safeParse(picked);
  if (!parsed.success) throw invalid('gateway settings', parsed.error);
  return parsed.data;
}

export function routingService(
  db: Database,
  repos: GatewayRepos,
  now: () => number = Date.now,
): RoutingService {
  const rules = (): RouteRule[] =>
    repos.routingRules.list().flatMap((r) => {
      const target = TargetSchema.safeParse(r.target);
      const fallbacks = TargetSchema.array().safeParse(r.fallbacks);
      // A row another version wrote in a shape we cannot read is left out of routing, not guessed at.
      if (!target.success || !fallbacks.success) return [];
      return [
        {
          id: r.id,
          priority: r.priority,
          pattern: r.pattern,
          target: target.data,
          fallbacks: fallbacks.data,
          enabled: r.enabled,
        },
      ];
    });

  const providers = (): ProviderInfo[] =>
    repos.providers.list().map((p) => ({
      id: p.id,
      name: p.name,
      format: p.format,
      baseUrl: p.baseUrl,
      models: p.models,
      hasApiKey: p.hasApiKey,
    }));

  const profiles = (): ProfileInfo[] =>
    repos.profiles.list().map((p) => ({ name: p.name, model: p.model, params: p.params }));

  // Every request builds a route context; the lists are read again only after a database write.
  const routeLists = cachedByVersion(dbVersion(db), () => ({
    rules: rules(),
    profiles: profiles(),
    providers: providers(),
  }));

  const checkTargets = (targets: Target[]): void => {
    for (const t of targets) {
      if (t.kind === 'provider' && !repos.providers.get(t.providerId)) {
        throw new CoreError('validation', `provider '${t.providerId}' does not exist`);
      }
    }
  };

  return {
    rules,
    providers,
    addRule(input: RuleInput): RouteRule {
      const p = RuleInput.safeParse(input);
      if (!p.success) throw invalid('rule', p.error);
      checkTargets([p.data.target, ...p.data.fallbacks]);
      const existing = rules();
      const priority =
        p.data.priority ??
        (existing.length ? Math.max(...existing.map((r) => r.priority)) + 10 : 10);
      const rule: RouteRule = { id: crypto.randomUUID(), ...p.data, priority };
      repos.routingRules.upsert(rule);
      return rule;
    },
    updateRule(id: string, patch: Partial<RuleInput>): RouteRule {
      const cur = rules().find((r) => r.id === id);
      if (!cur) throw new CoreError('not_found', `no routing rule with id '${id}'`);
      const p = RuleInput.safeParse({
        pattern: cur.pattern,
        target: cur.target,
        fallbacks: cur.fallbacks,
        enabled: cur.enabled,
        priority: cur.priority,
        ...patch,
      });
      if (!p.success) throw invalid('rule', p.error);
      checkTargets([p.data.target, ...p.data.fallbacks]);
      const rule: RouteRule = { id, ...p.data, priority: p.data.priority ?? cur.priority };
      repos.routingRules.upsert(rule);
      return rule;
    },
    removeRule(id: string): void {
      if (!repos.routingRules.delete(id))
        throw new CoreError('not_found', `no routing rule with id '${id}'`);
    },
    reorderRules(ids) {
      const all = rules();
      if (
        ids.length !== all.length ||
        new Set(ids).size !== ids.length ||
        !all.every((r) => ids.includes(r.id))
      ) {
        throw new CoreError('validation', 'reorder must list every rule id exactly once');
      }
      const byId = new Map(all.map((r) => [r.id, r]));
      // One transaction, so a crash never leaves a half-applied order.
      db.transaction(() =>
        ids.forEach((id, i) =>
          repos.routingRules.upsert({ ...byId.get(id)!, priority: (i + 1) * 10 }),
        ),
      )();
      return rules();
    },

    addProvider(input: ProviderInput): ProviderInfo {
      const p = ProviderInput.safeParse(input);
      if (!p.success) throw invalid('provider', p.error);
      if (repos.providers.list().some((x) => x.name === p.data.name)) {
        throw new CoreError('conflict', `a provider named '${p.data.name}' already exists`);
      }
      const id = crypto.randomUUID();
      repos.providers.upsert({ id, ...p.data, createdAt: now() });
      return providers().find((x) => x.id === id)!;
    },
    updateProvider(id: string, patch: ProviderPatch): ProviderInfo & { keyDropped: boolean } {
      const cur = repos.providers.get(id);
      if (!cur) throw new CoreError('not_found', `no provider with id '${id}'`);
      const p = ProviderPatch.safeParse(patch);
      if (!p.success) throw invalid('provider', p.error);
      const baseUrl = p.data.baseUrl ?? cur.baseUrl;
      // A new key replaces the stored one and `null` removes it; without either the stored key stays,
      // unless the new base URL is on another origin: a key never follows the provider elsewhere.
      const carried =
        p.data.apiKey !== undefined
          ? { apiKey: p.data.apiKey, dropped: false }
          : repos.providers.carriedKey(id, baseUrl);
      repos.providers.upsert({
        id,
        name: p.data.name ?? cur.name,
        format: p.data.format ?? cur.format,
        baseUrl,
        models: p.data.models ?? cur.models,
        apiKey: carried.apiKey,
        createdAt: cur.createdAt,
      });
      return { ...providers().find((x) => x.id === id)!, keyDropped: carried.dropped };
    },
    removeProvider(id: string): void {
      if (!repos.providers.delete(id))
        throw new CoreError('not_found', `no provider with id '${id}'`);
    },
    providerKey: (id) => repos.providers.apiKey(id),

    profiles,

    context(localModels: string[], breakers: Breakers, settings: GatewaySettings): RouteContext {
      const t = now();
      const lists = routeLists();
      return {
        rules: lists.rules,
        profiles: lists.profiles,
        localModels,
        aliases: settings['gateway.aliases'],
        providers: lists.providers,
        breaker: (id) => breakers.peek(id, t),
      };
    },
    explain(
      name: string,
      localModels: string[],
      breakers: Breakers,
      settings: GatewaySettings,
    ): RouteExplanation {
      return explainRoute(name, this.context(localModels, breakers, settings));
    },
  };
}
