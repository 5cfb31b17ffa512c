// IntegrationsState against an in-memory core: snippets filled with the served address and the default
// model (the starter, else the first local one), a chosen model with its window, the key requirement
// shown as a stand-in to replace, copy results, and a failed load reported.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appWith, FakeCore, type MethodResult } from '../../../test/fakeCore.ts';
import { IntegrationsState } from './integrations.svelte.ts';

type Info = MethodResult<'integrations.info'>;
const STARTER = 'HuggingFaceTB/SmolLM2-135M-Instruct';

const info = (over: Partial<Info> = {}): Info => ({
  apiBaseUrl: 'http://127.0.0.1:9999/v1',
  keyRequired: false,
  models: [
    { id: 'gpt-*', kind: 'route', contextLength: null },
    { id: 'coder', kind: 'profile', contextLength: 4096 },
    { id: STARTER, kind: 'local', contextLength: 8192 },
  ],
  ...over,
});

describe('IntegrationsState', () => {
  let core: FakeCore;
  let served: Info;
  let state: IntegrationsState;
  let clipboard: string[];

  beforeEach(() => {
    served = info();
    clipboard = [];
    vi.stubGlobal('navigator', {
      clipboard: { writeText: async (t: string) => void clipboard.push(t) },
    });
    core = new FakeCore().answer('integrations.info', () => served);
    state = new IntegrationsState(appWith(core));
  });
  afterEach(() => vi.unstubAllGlobals());

  it('fills every client with the served address and the starter model', async () => {
    await state.load();
    expect(state.models.map((m) => m.id)).toEqual(['coder', STARTER]);
    expect(state.model).toBe(STARTER);
    const byId = Object.fromEntries(state.snippets.map((s) => [s.id, s]));
    expect(Object.keys(byId)).toEqual([
      'claude-code',
      'codex',
      'continue',
      'cline',
      'zed',
      'open-webui',
      'aider',
    ]);
    expect(byId['claude-code']!.text).toContain('ANTHROPIC_BASE_URL=http://127.0.0.1:9999 ');
    expect(byId['claude-code']!.text).toContain(`ANTHROPIC_MODEL=${STARTER}`);
    expect(byId['claude-code']!.launch).toBe(`npm run orchard -- launch claude --model ${STARTER}`);
    expect(byId.codex!.text).toContain('base_url = "http://127.0.0.1:9999/v1"');
    expect(byId.codex!.text).toContain('wire_api = "responses"');
    expect(byId.codex!.text).toContain('model_context_window = 8192');
    expect(JSON.parse(byId.zed!.text).language_models.openai_compatible.orchard).toEqual({
      api_url: 'http://127.0.0.1:9999/v1',
      available_models: [{ name: STARTER, display_name: STARTER, max_tokens: 8192 }],
    });
    expect(byId.aider!.text).toContain(`aider --model openai/${STARTER}`);
    // No key needed: any value, said so.
    expect(byId.cline!.text).toContain('API Key: orchard');
    expect(byId['claude-code']!.text).toContain('any value');
  });

  it('uses the chosen model and its window; without the starter, the first local model', async () => {
    await state.load();
    state.chosen = 'coder';
    expect(state.snippets.find((s) => s.id === 'continue')!.text).toContain('contextLength: 4096');
    served = info({ models: [{ id: 'org/other', kind: 'local', contextLength: null }] });
    state.chosen = null;
    await state.load();
    expect(state.model).toBe('org/other');
    // An unknown window: the clients that need a number get a stated default.
    expect(state.snippets.find((s) => s.id === 'codex')!.text).toContain(
      'model_context_window = 32768',
    );
  });

  it('with keys required, names a stand-in to replace with a key from Settings', async () => {
    served = info({ keyRequired: true });
    await state.load();
    const text = state.snippets.map((s) => `${s.text}\n${s.note ?? ''}`).join('\n');
    expect(text).toContain('paste-your-orchard-key');
    expect(text).toContain('Settings → API keys');
    expect(text).not.toContain('API Key: orchard');
  });

  it('copies a snippet and says whether it worked', async () => {
    await state.load();
    await state.copy('codex', 'the text');
    expect(clipboard).toEqual(['the text']);
    expect(state.copied).toEqual({ id: 'codex', ok: true });
    vi.stubGlobal('navigator', {
      clipboard: { writeText: () => Promise.reject(new Error('denied')) },
    });
    await state.copy('zed', 'x');
    expect(state.copied).toEqual({ id: 'zed', ok: false });
  });

  it('reports a failed load and falls back to the page origin for the address', async () => {
    core.fail('integrations.info', 'core is down');
    await state.load();
    expect(state.error).toBe('core is down');
    expect(state.apiBaseUrl).toBe('http://127.0.0.1:8765/v1');
  });
});
