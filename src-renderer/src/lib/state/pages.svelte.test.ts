// createPageStates: one state per management page over the same AppState, the remembered theme applied
// before core answers, and the settings read at once (the theme lives there).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appWith, deferred, FakeCore, memoryStorage, settle } from '../../../test/fakeCore.ts';
import { createPageStates } from './pages.svelte.ts';

describe('createPageStates', () => {
  let root: { dataset: Record<string, string | undefined> };

  beforeEach(() => {
    root = { dataset: {} };
    vi.stubGlobal('document', { documentElement: root });
    vi.stubGlobal('localStorage', memoryStorage({ 'orchard.theme': 'light' }));
  });
  afterEach(() => vi.unstubAllGlobals());

  it('makes every page’s state over one app, and reads the settings', async () => {
    const settings = deferred<never>();
    const core = new FakeCore()
      .answer('settings.get', () => settings.promise)
      .answer('apiKeys.list', () => []);
    const app = appWith(core);
    const states = createPageStates(app);
    expect(Object.keys(states).sort()).toEqual([
      'discover',
      'downloads',
      'engine',
      'integrations',
      'library',
      'logs',
      'memory',
      'profiles',
      'routing',
      'settings',
    ]);
    for (const s of Object.values(states)) expect(s.app).toBe(app);
    // The remembered theme shows while core has not answered yet.
    expect(root.dataset.theme).toBe('light');
    await settle();
    expect(core.calls.map((c) => c.method).sort()).toEqual(['apiKeys.list', 'settings.get']);
  });
});
