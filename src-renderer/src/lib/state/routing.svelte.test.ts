// RoutingState against an in-memory rule and provider store: rules checked before they are sent,
// core's refusals placed next to a field, reordering by keyboard and drag-and-drop, provider tests
// with their running state, and "which route would this name take".
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../api/index.ts';
import { appWith, deferred, FakeCore, settle } from '../../../test/fakeCore.ts';
import { RoutingState, type Provider, type Rule, type TestResult } from './routing.svelte.ts';

function rule(id: string): Rule {
  return {
    id,
    priority: 0,
    pattern: `${id}-*`,
    target: { kind: 'local', model: 'org/m' },
    fallbacks: [],
    enabled: true,
  };
}

describe('RoutingState', () => {
  let core: FakeCore;
  let rules: Rule[];
  let providers: Provider[];
  let state: RoutingState;

  beforeEach(async () => {
    rules = ['a', 'b', 'c', 'd'].map(rule);
    providers = [];
    core = new FakeCore()
      .answer('routing.list', () => ({ rules: [...rules], providers: [...providers] }))
      .answer('routing.addRule', (input) => {
        const r = { ...rule(`r${rules.length}`), pattern: input.pattern };
        rules.push(r);
        return r;
      })
      .answer('routing.updateRule', ({ id, patch }) => {
        rules = rules.map((r) => (r.id === id ? { ...r, pattern: patch.pattern ?? r.pattern } : r));
        return rules.find((r) => r.id === id)!;
      })
      .answer('routing.removeRule', ({ id }) => {
        rules = rules.filter((r) => r.id !== id);
        return { ok: true };
      })
      .answer('routing.reorder', ({ ids }) => {
        rules = ids.map((id) => rules.find((r) => r.id === id)!);
        return [...rules];
      })
      .answer('providers.add', (input) => {
        if (providers.some((p) => p.name === input.name))
          throw new ApiError('conflict', `a provider named '${input.name}' already exists`);
        const p = {
          id: `pv${providers.length}`,
          name: input.name,
          format: input.format,
          baseUrl: input.baseUrl,
          models: input.models ?? [],
          hasApiKey: Boolean(input.apiKey),
        };
        providers.push(p);
        return p;
      })
      .answer('providers.remove', ({ id }) => {
        providers = providers.filter((p) => p.id !== id);
        return { ok: true };
      });
    state = new RoutingState(appWith(core));
    await state.load();
  });

  const order = () => state.rules.map((r) => r.id).join('');

  it('loads rules and providers, and shows a failed load', async () => {
    expect(order()).toBe('abcd');
    core.fail('routing.list', 'database is locked');
    await state.load();
    expect(state.error).toBe('database is locked');
    expect(order()).toBe('abcd');
  });

  describe('rules', () => {
    it('answers a rule that cannot be right field by field, without asking core', async () => {
      const r = await state.saveRule(null, {
        pattern: '',
        target: { kind: 'local', model: 'org/m' },
      });
      expect(r.ok).toBe(false);
      expect(r.ok ? null : Object.keys(r.errors)).toEqual(['pattern']);
      expect(core.inputs('routing.addRule')).toEqual([]);
    });

    it('adds or updates a rule, says so and reloads', async () => {
      const target = { kind: 'local', model: 'org/m' } as const;
      expect(await state.saveRule(null, { pattern: 'gpt-*', target })).toEqual({ ok: true });
      expect(state.status).toBe('Rule gpt-* saved.');
      expect(state.rules.at(-1)?.pattern).toBe('gpt-*');
      await state.saveRule('b', { pattern: 'claude-*', target });
      expect(core.inputs('routing.updateRule')).toEqual([
        { id: 'b', patch: { pattern: 'claude-*', target } },
      ]);
      expect(state.rules[1]?.pattern).toBe('claude-*');
    });

    it('places core’s refusal next to the field it names, or the whole form', async () => {
      const input = { pattern: 'x', target: { kind: 'provider', providerId: 'nope', model: 'm' } };
      core.fail(
        'routing.addRule',
        'invalid rule: target.providerId: unknown provider',
        'validation',
      );
      expect(await state.saveRule(null, input as never)).toEqual({
        ok: false,
        errors: { target: 'unknown provider' },
      });
      core.fail('routing.addRule', "provider 'nope' does not exist", 'validation');
      expect(await state.saveRule(null, input as never)).toEqual({
        ok: false,
        errors: { target: "provider 'nope' does not exist" },
      });
      core.fail('routing.addRule', 'disk I/O error');
      expect(await state.saveRule(null, input as never)).toEqual({
        ok: false,
        errors: { _form: 'disk I/O error' },
      });
    });

    it('removes a rule and reloads even when core refused', async () => {
      await state.removeRule('c');
      expect(order()).toBe('abd');
      expect(state.status).toBe('Rule deleted.');
      core.fail('routing.removeRule', 'no rule x', 'not_found');
      const loads = core.inputs('routing.list').length;
      await state.removeRule('x');
      expect(state.error).toBe('no rule x');
      expect(core.inputs('routing.list')).toHaveLength(loads + 1);
    });

    it('moves a rule one place up or down, and not past either end', async () => {
      await state.move('c', -1);
      expect(order()).toBe('acbd');
      await state.move('a', 1);
      expect(order()).toBe('cabd');
      expect(state.status).toBe('Rule order saved.');
      const calls = core.inputs('routing.reorder').length;
      await state.move('c', -1);
      await state.move('d', 1);
      await state.move('zz', 1);
      expect(core.inputs('routing.reorder')).toHaveLength(calls);
    });

    it('drops a dragged rule where the target is, from above or below', async () => {
      await state.moveTo('a', 'c');
      expect(order()).toBe('bcad');
      await state.moveTo('d', 'b');
      expect(order()).toBe('dbca');
      await state.moveTo('b', 'b');
      expect(core.inputs('routing.reorder')).toHaveLength(2);
    });

    it('shows a refused order and goes back to core’s', async () => {
      core.fail('routing.reorder', 'ids must name every rule once', 'validation');
      await state.move('b', 1);
      expect(state.error).toBe('ids must name every rule once');
      expect(order()).toBe('abcd');
    });
  });

  describe('providers', () => {
    const openai = {
      name: 'OpenAI',
      format: 'openai',
      baseUrl: 'https://api.openai.com/v1',
    } as const;

    it('checks a provider before sending it', async () => {
      const r = await state.addProvider({ ...openai, baseUrl: 'not a url' });
      expect(r.ok ? null : Object.keys(r.errors)).toEqual(['baseUrl']);
      expect(core.inputs('providers.add')).toEqual([]);
    });

    it('adds a provider, and puts a taken name next to the name', async () => {
      expect(await state.addProvider(openai)).toEqual({ ok: true });
      expect(state.status).toBe('Provider OpenAI added.');
      expect(state.providers.map((p) => p.name)).toEqual(['OpenAI']);
      expect(await state.addProvider(openai)).toEqual({
        ok: false,
        errors: { name: "a provider named 'OpenAI' already exists" },
      });
    });

    it('fills an added provider’s empty model list from its own /models (through Test)', async () => {
      core
        .answer('providers.test', () => ({
          ok: true,
          status: 200,
          latencyMs: 5,
          models: ['claude-sonnet-4-5', 'claude-haiku-4-5'],
          error: null,
        }))
        .answer('providers.update', ({ id, patch }) => {
          const p = providers.find((x) => x.id === id)!;
          Object.assign(p, patch);
          return { ...p, keyDropped: false };
        });
      expect(await state.addProvider(openai)).toEqual({ ok: true });
      expect(core.inputs('providers.update')).toEqual([
        { id: 'pv0', patch: { models: ['claude-sonnet-4-5', 'claude-haiku-4-5'] } },
      ]);
      expect(state.providers[0]!.models).toEqual(['claude-sonnet-4-5', 'claude-haiku-4-5']);
      expect(state.status).toBe('Provider OpenAI added; 2 models fetched from it.');
      // Models named by the user are kept as they are: no test, no update.
      await state.addProvider({ ...openai, name: 'Named', models: ['gpt-4o'] });
      expect(core.inputs('providers.update')).toHaveLength(1);
    });

    it('keeps a provider whose model list could not be fetched, with the failed test shown', async () => {
      core.answer('providers.test', () => ({
        ok: false,
        status: 401,
        latencyMs: 5,
        models: [],
        error: 'invalid x-api-key',
      }));
      expect(await state.addProvider(openai)).toEqual({ ok: true });
      expect(state.tests.pv0).toMatchObject({ ok: false, error: 'invalid x-api-key' });
      expect(state.providers.map((p) => p.name)).toEqual(['OpenAI']);
      expect(core.inputs('providers.update')).toEqual([]);
    });

    it('removes a provider', async () => {
      await state.addProvider(openai);
      await state.removeProvider('pv0');
      expect(state.providers).toEqual([]);
      expect(state.status).toBe('Provider removed.');
    });

    it('shows a provider test running, then its result or why it could not run', async () => {
      const reply = deferred<TestResult>();
      core.answer('providers.test', () => reply.promise);
      const done = state.test('pv0');
      await settle();
      expect(state.tests.pv0).toEqual({ running: true });
      reply.resolve({ ok: true, status: 200, latencyMs: 12, models: ['gpt-4o'], error: null });
      await done;
      expect(state.tests.pv0).toMatchObject({ ok: true, models: ['gpt-4o'] });

      core.fail('providers.test', 'no provider pv9', 'not_found');
      await state.test('pv9');
      expect(state.tests.pv9).toEqual({
        ok: false,
        status: null,
        latencyMs: 0,
        models: [],
        error: 'no provider pv9',
      });
      expect(state.tests.pv0).toMatchObject({ ok: true });
    });
  });

  it('explains a route, and asks for a name first', async () => {
    expect(await state.explain('  ')).toBe('enter a model name');
    expect(core.inputs('routing.explain')).toEqual([]);
    core.answer('routing.explain', ({ model }) => ({
      model,
      matched: { kind: 'rule', ruleId: 'a', pattern: 'a-*' },
      candidates: [],
      steps: ['rule a-* matched'],
    }));
    expect(await state.explain('a-1')).toBeNull();
    expect(state.explanation?.steps).toEqual(['rule a-* matched']);
    core.fail('routing.explain', 'model: too long', 'invalid_params');
    expect(await state.explain('x')).toBe('model: too long');
  });
});
