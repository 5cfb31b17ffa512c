// explainRoute: which backends a model name would go to, in which order, and why. Pure function of
// rules, names and breaker views, so the UI, the CLI and the request path share one answer.
import { isLiteralPattern, globMatch } from './glob.ts';
import type { BreakerView } from './breaker.ts';
import {
  describeTarget,
  type ProfileInfo,
  type ProviderInfo,
  type RouteRule,
  type Target,
} from '../types.ts';

export interface RouteContext {
  rules: RouteRule[];
  profiles: ProfileInfo[];
  /** Repo ids of models present on disk. */
  localModels: string[];
  /** alias → repo id */
  aliases: Record<string, string>;
  providers: ProviderInfo[];
  breaker: (providerId: string) => BreakerView & { allowed: boolean };
}

/** A target resolved to something the gateway can call. */
export type Backend =
  | { kind: 'local'; model: string; params: Record<string, unknown>; via: string }
  | { kind: 'provider'; provider: ProviderInfo; model: string; via: string };

export interface Candidate {
  target: Target;
  label: string;
  /** Present when the candidate is usable. */
  backend?: Backend;
  /** Why it is skipped (absent when usable). */
  skipped?: string;
  /** 0 = primary target; 1.. = fallback position. */
  position: number;
}

export type MatchKind = 'rule' | 'profile' | 'alias' | 'local';

export interface RouteExplanation {
  model: string;
  matched: { kind: MatchKind; ruleId?: string; pattern?: string; priority?: number } | null;
  candidates: Candidate[];
  /** The human-readable reasoning, one line per step. */
  steps: string[];
  /** When nothing matched: every name a client may ask for. */
  available?: string[];
}

/** Every name /v1/models shows: local repo ids, aliases, profiles, exact rule names. */
export function availableNames(ctx: RouteContext): string[] {
  const names = new Set<string>([
    ...ctx.localModels,
    ...Object.keys(ctx.aliases),
    ...ctx.profiles.map((p) => p.name),
    ...ctx.rules.filter((r) => r.enabled && isLiteralPattern(r.pattern)).map((r) => r.pattern),
  ]);
  return [...names].sort();
}

/**
 * The repo id an alias stands for. Own keys only: a client's name such as 'constructor' or '__proto__'
 * must not find Object.prototype's members.
 */
export function aliasTarget(aliases: Record<string, string>, name: string): string | undefined {
  return Object.hasOwn(aliases, name) ? aliases[name] : undefined;
}

function resolveTarget(t: Target, ctx: RouteContext, seenProfiles: Set<string>): Backend | string {
  switch (t.kind) {
    case 'local': {
      const model = aliasTarget(ctx.aliases, t.model) ?? t.model;
      if (!ctx.localModels.includes(model)) return `local model '${model}' is not on disk`;
      return { kind: 'local', model, params: {}, via: describeTarget(t) };
    }
    case 'profile': {
      const p = ctx.profiles.find((x) => x.name === t.profile);
      if (!p) return `profile '${t.profile}' does not exist`;
      if (seenProfiles.has(p.name)) return `profile '${p.name}' refers to itself`;
      const model = aliasTarget(ctx.aliases, p.model) ?? p.model;
      if (!ctx.localModels.includes(model))
        return `profile '${p.name}' uses '${model}', which is not on disk`;
      return { kind: 'local', model, params: p.params, via: describeTarget(t) };
    }
    case 'provider': {
      const provider = ctx.providers.find((x) => x.id === t.providerId);
      if (!provider) return `provider '${t.providerId}' does not exist`;
      const b = ctx.breaker(provider.id);
      if (!b.allowed) {
        return b.state === 'open'
          ? `provider '${provider.name}' circuit is open after ${b.consecutiveFailures} failures (retry at ${new Date(b.retryAt ?? 0).toISOString()})`
          : `provider '${provider.name}' circuit is half-open and its one trial call is in flight`;
      }
      return { kind: 'provider', provider, model: t.model, via: describeTarget(t, provider.name) };
    }
  }
}

function candidates(targets: Target[], ctx: RouteContext, steps: string[]): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  targets.forEach((target, position) => {
    const provider =
      target.kind === 'provider'
        ? ctx.providers.find((p) => p.id === target.providerId)
        : undefined;
    const label = describeTarget(target, provider?.name);
    const r = resolveTarget(target, ctx, new Set());
    const key = typeof r === 'string' ? label : backendKey(r);
    // The same backend twice in one chain would be a silent retry; it is listed once.
    if (seen.has(key)) {
      out.push({
        target,
        label,
        skipped: 'same backend as an earlier entry (no retries)',
        position,
      });
      steps.push(
        `${position === 0 ? 'target' : `fallback ${position}`} ${label}: skipped, same backend as before`,
      );
      return;
    }
    seen.add(key);
    if (typeof r === 'string') {
      out.push({ target, label, skipped: r, position });
      steps.push(`${position === 0 ? 'target' : `fallback ${position}`} ${label}: skipped, ${r}`);
    } else {
      out.push({ target, label, backend: r, position });
      steps.push(`${position === 0 ? 'target' : `fallback ${position}`} ${label}: usable`);
    }
  });
  return out;
}

export function backendKey(b: Backend): string {
  return b.kind === 'local' ? `local:${b.model}` : `provider:${b.provider.id}:${b.model}`;
}

export function explainRoute(name: string, ctx: RouteContext): RouteExplanation {
  const steps: string[] = [];
  const rules = [...ctx.rules].sort((a, b) => a.priority - b.priority || a.id.localeCompare(b.id));
  for (const rule of rules) {
    if (!rule.enabled) continue;
    if (!globMatch(rule.pattern, name)) continue;
    steps.push(
      `rule ${rule.id} (priority ${rule.priority}, ${isLiteralPattern(rule.pattern) ? 'exact' : 'glob'} '${rule.pattern}') matches '${name}'`,
    );
    return {
      model: name,
      matched: { kind: 'rule', ruleId: rule.id, pattern: rule.pattern, priority: rule.priority },
      candidates: candidates([rule.target, ...rule.fallbacks], ctx, steps),
      steps,
    };
  }
  if (rules.some((r) => r.enabled)) steps.push(`no enabled routing rule matches '${name}'`);
  if (ctx.profiles.some((p) => p.name === name)) {
    steps.push(`'${name}' is a profile`);
    return {
      model: name,
      matched: { kind: 'profile' },
      candidates: candidates([{ kind: 'profile', profile: name }], ctx, steps),
      steps,
    };
  }
  const aliased = aliasTarget(ctx.aliases, name);
  if (aliased !== undefined) {
    steps.push(`'${name}' is an alias of '${aliased}'`);
    return {
      model: name,
      matched: { kind: 'alias' },
      candidates: candidates([{ kind: 'local', model: name }], ctx, steps),
      steps,
    };
  }
  if (ctx.localModels.includes(name)) {
    steps.push(`'${name}' is a local model`);
    return {
      model: name,
      matched: { kind: 'local' },
      candidates: candidates([{ kind: 'local', model: name }], ctx, steps),
      steps,
    };
  }
  steps.push(`'${name}' is not a local model, alias, profile or routed name`);
  return { model: name, matched: null, candidates: [], steps, available: availableNames(ctx) };
}
