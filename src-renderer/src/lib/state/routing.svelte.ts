// Routing screen state: rules in priority order (reordered by drag-and-drop or keyboard), providers with
// a test call, and "which route would this name take".
import type { MethodInput, MethodResult } from '#shared/contract/index.ts';
import { ProviderInput } from '#shared/contract/providers.ts';
import { RuleInput } from '#shared/contract/routing.ts';
import type { AppState } from './app.svelte.ts';
import { errorMessage, issuesByField, type FieldErrors } from '../ui/validation.ts';

export type Rule = MethodResult<'routing.list'>['rules'][number];
export type Provider = MethodResult<'routing.list'>['providers'][number];
export type Explanation = MethodResult<'routing.explain'>;
export type TestResult = MethodResult<'providers.test'>;
/** The contract's cap on a provider's model list. */
const MAX_MODELS = 1000;

export type Outcome = { ok: true } | { ok: false; errors: FieldErrors };

function serverErrors(e: unknown): FieldErrors {
  const m = /^invalid \w+: (\w+)[^:]*: (.*)$/.exec(errorMessage(e));
  if (m) return { [m[1]!]: m[2]! };
  const msg = errorMessage(e);
  if (/provider named/.test(msg)) return { name: msg };
  if (/provider '.*' does not exist/.test(msg)) return { target: msg };
  return { _form: msg };
}

export class RoutingState {
  readonly app: AppState;
  rules = $state<Rule[]>([]);
  providers = $state<Provider[]>([]);
  tests = $state<Record<string, TestResult | { running: true }>>({});
  explanation = $state<Explanation | null>(null);
  error = $state<string | null>(null);
  status = $state<string | null>(null);

  constructor(app: AppState) {
    this.app = app;
  }

  async load(): Promise<void> {
    try {
      const r = await this.app.api.call('routing.list');
      this.rules = r.rules;
      this.providers = r.providers;
      this.error = null;
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  async saveRule(id: string | null, input: MethodInput<'routing.addRule'>): Promise<Outcome> {
    const parsed = RuleInput.safeParse(input);
    if (!parsed.success) return { ok: false, errors: issuesByField(parsed.error) };
    try {
      if (id) await this.app.api.call('routing.updateRule', { id, patch: input });
      else await this.app.api.call('routing.addRule', input);
      this.status = `Rule ${input.pattern} saved.`;
      await this.load();
      return { ok: true };
    } catch (e) {
      return { ok: false, errors: serverErrors(e) };
    }
  }

  async removeRule(id: string): Promise<void> {
    await this.#run(async () => {
      await this.app.api.call('routing.removeRule', { id });
      this.status = 'Rule deleted.';
    });
  }

  /** Moves a rule up (-1) or down (+1) one place. */
  async move(id: string, delta: -1 | 1): Promise<void> {
    const ids = this.rules.map((r) => r.id);
    const i = ids.indexOf(id);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= ids.length) return;
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    await this.reorder(ids);
  }

  /** Puts rule `id` where `beforeId` is (drag-and-drop). */
  async moveTo(id: string, targetId: string): Promise<void> {
    if (id === targetId) return;
    const ids = this.rules.map((r) => r.id).filter((x) => x !== id);
    const at =
      this.rules.findIndex((r) => r.id === targetId) > this.rules.findIndex((r) => r.id === id)
        ? ids.indexOf(targetId) + 1
        : ids.indexOf(targetId);
    ids.splice(at, 0, id);
    await this.reorder(ids);
  }

  async reorder(ids: string[]): Promise<void> {
    await this.#run(async () => {
      this.rules = await this.app.api.call('routing.reorder', { ids });
      this.status = 'Rule order saved.';
    });
  }

  async addProvider(input: MethodInput<'providers.add'>): Promise<Outcome> {
    const parsed = ProviderInput.safeParse(input);
    if (!parsed.success) return { ok: false, errors: issuesByField(parsed.error) };
    let id: string;
    try {
      id = (await this.app.api.call('providers.add', input)).id;
      this.status = `Provider ${input.name} added.`;
    } catch (e) {
      return { ok: false, errors: serverErrors(e) };
    }
    // No models named: the list comes from the provider itself (its /models), through the Test call.
    if (!input.models?.length) await this.#fetchModels(id, input.name);
    await this.load();
    return { ok: true };
  }

  async #fetchModels(id: string, name: string): Promise<void> {
    await this.test(id);
    const t = this.tests[id];
    if (!t || 'running' in t || !t.ok || t.models.length === 0) return;
    try {
      await this.app.api.call('providers.update', {
        id,
        patch: { models: t.models.slice(0, MAX_MODELS) },
      });
      this.status = `Provider ${name} added; ${t.models.length} models fetched from it.`;
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  async removeProvider(id: string): Promise<void> {
    await this.#run(async () => {
      await this.app.api.call('providers.remove', { id });
      this.status = 'Provider removed.';
    });
  }

  async test(id: string): Promise<void> {
    this.tests = { ...this.tests, [id]: { running: true } };
    try {
      this.tests = { ...this.tests, [id]: await this.app.api.call('providers.test', { id }) };
    } catch (e) {
      this.tests = {
        ...this.tests,
        [id]: { ok: false, status: null, latencyMs: 0, models: [], error: errorMessage(e) },
      };
    }
  }

  async explain(model: string): Promise<string | null> {
    if (!model.trim()) return 'enter a model name';
    try {
      this.explanation = await this.app.api.call('routing.explain', { model });
      return null;
    } catch (e) {
      return errorMessage(e);
    }
  }

  async #run(fn: () => Promise<void>): Promise<void> {
    let failure: string | null = null;
    try {
      await fn();
    } catch (e) {
      failure = errorMessage(e);
    }
    await this.load();
    // A successful reload clears the error; why the operation failed must still show.
    if (failure !== null) this.error = failure;
  }
}
