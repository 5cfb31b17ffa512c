// explainRoute: rule order, exact vs glob, profiles and aliases, skipped targets, open circuits, unknown names.
import { describe, expect, it } from 'vitest';
import { createBreakers } from './breaker.ts';
import { availableNames, explainRoute, type RouteContext } from './explain.ts';
import type { RouteRule } from '../types.ts';

const remote = {
  id: 'p1',
  name: 'remote',
  format: 'openai' as const,
  baseUrl: 'http://x',
  models: ['m'],
  hasApiKey: false,
};

function ctx(
  rules: RouteRule[],
  breakers = createBreakers({ failureThreshold: 2, cooldownMs: 1000 }),
  now = 0,
): RouteContext {
  return {
    rules,
    profiles: [
      { name: 'coder', model: 'org/local-a', params: { temperature: 0 } },
      { name: 'ghost', model: 'org/missing', params: {} },
    ],
    localModels: ['org/local-a', 'org/local-b'],
    aliases: { small: 'org/local-b' },
    providers: [remote],
    breaker: (id) => breakers.peek(id, now),
  };
}

const rule = (
  id: string,
  priority: number,
  pattern: string,
  target: RouteRule['target'],
  fallbacks: RouteRule['target'][] = [],
  enabled = true,
): RouteRule => ({
  id,
  priority,
  pattern,
  target,
  fallbacks,
  enabled,
});

describe('explainRoute', () => {
  it('takes the first enabled rule by priority, exact or glob', () => {
    const rules = [
      rule('late', 20, 'gpt-*', { kind: 'local', model: 'org/local-b' }),
      rule('early', 10, 'gpt-4*', { kind: 'provider', providerId: 'p1', model: 'm' }),
      rule('off', 1, '*', { kind: 'local', model: 'org/local-a' }, [], false),
    ];
    const e = explainRoute('gpt-4o', ctx(rules));
    expect(e.matched).toMatchObject({ kind: 'rule', ruleId: 'early', pattern: 'gpt-4*' });
    expect(e.candidates[0]?.backend).toMatchObject({ kind: 'provider', model: 'm' });
    expect(e.steps[0]).toContain('glob');
    expect(explainRoute('gpt-3', ctx(rules)).matched?.ruleId).toBe('late');
  });

  it('lists the fallback chain and says why an entry is skipped', () => {
    const rules = [
      rule('r', 1, 'chat', { kind: 'local', model: 'org/missing' }, [
        { kind: 'profile', profile: 'ghost' },
        { kind: 'provider', providerId: 'nope', model: 'x' },
        { kind: 'profile', profile: 'coder' },
        { kind: 'local', model: 'org/local-a' }, // same backend as the profile: never a silent retry
        { kind: 'provider', providerId: 'p1', model: 'm' },
      ]),
    ];
    const e = explainRoute('chat', ctx(rules));
    expect(e.candidates.map((c) => c.skipped ?? 'ok')).toEqual([
      "local model 'org/missing' is not on disk",
      "profile 'ghost' uses 'org/missing', which is not on disk",
      "provider 'nope' does not exist",
      'ok',
      'same backend as an earlier entry (no retries)',
      'ok',
    ]);
    expect(e.candidates[3]?.backend).toMatchObject({
      kind: 'local',
      model: 'org/local-a',
      params: { temperature: 0 },
    });
    expect(e.steps.length).toBe(7);
  });

  it('skips a provider whose circuit is open and names when it retries', () => {
    const b = createBreakers({ failureThreshold: 2, cooldownMs: 1000 });
    b.failure('p1', 0);
    b.failure('p1', 0);
    const rules = [
      rule('r', 1, 'x', { kind: 'provider', providerId: 'p1', model: 'm' }, [
        { kind: 'local', model: 'small' },
      ]),
    ];
    const open = explainRoute('x', ctx(rules, b, 10));
    expect(open.candidates[0]?.skipped).toMatch(/circuit is open after 2 failures/);
    expect(open.candidates[1]?.backend).toMatchObject({ kind: 'local', model: 'org/local-b' });
    expect(explainRoute('x', ctx(rules, b, 1000)).candidates[0]?.backend).toBeDefined();
  });

  it('resolves profiles, aliases and local names when no rule matches', () => {
    const c = ctx([rule('r', 1, 'gpt-*', { kind: 'local', model: 'org/local-a' })]);
    expect(explainRoute('coder', c)).toMatchObject({ matched: { kind: 'profile' } });
    expect(explainRoute('small', c).candidates[0]?.backend).toMatchObject({ model: 'org/local-b' });
    expect(explainRoute('org/local-a', c)).toMatchObject({ matched: { kind: 'local' } });
  });

  it('an unknown name lists every available name', () => {
    const c = ctx([
      rule('r', 1, 'gpt-4o', { kind: 'local', model: 'org/local-a' }),
      rule('g', 2, 'claude-*', { kind: 'local', model: 'org/local-a' }),
    ]);
    const e = explainRoute('nothing', c);
    expect(e.matched).toBeNull();
    expect(e.available).toEqual([
      'coder',
      'ghost',
      'gpt-4o',
      'org/local-a',
      'org/local-b',
      'small',
    ]);
    expect(availableNames(c)).toEqual(e.available);
  });

  it("a name on Object.prototype ('constructor', '__proto__') is unknown, not an alias", () => {
    const c = ctx([]);
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      const e = explainRoute(name, c);
      expect(e.matched, name).toBeNull();
      expect(e.candidates).toEqual([]);
      expect(e.steps.join(' ')).not.toMatch(/function|native code|\[object/);
    }
    // A rule or profile naming such a model finds nothing on disk (no alias resolves to a function).
    const routed = explainRoute(
      'x',
      ctx([rule('r', 1, 'x', { kind: 'local', model: 'constructor' })]),
    );
    expect(routed.candidates[0]?.skipped).toBe("local model 'constructor' is not on disk");
  });
});
