// SettingsState against an in-memory settings store: the view and keys, a patch checked before it is
// sent, core's refusals by field, a new key shown once, and the theme applied to the page and kept.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appWith, FakeCore, memoryStorage, type MethodResult } from '../../../test/fakeCore.ts';
import { applyTheme, restoreTheme, SettingsState } from './settings.svelte.ts';

type View = MethodResult<'settings.get'>;
type Key = MethodResult<'apiKeys.list'>[number];

const view = (over: Partial<View> = {}): View => ({
  host: '127.0.0.1',
  port: 8765,
  requireApiKey: false,
  corsOrigins: [],
  modelsFolders: [],
  downloadConcurrency: 2,
  theme: 'system',
  hfTokenSet: false,
  running: { host: '127.0.0.1', port: 8765 },
  ...over,
});

describe('SettingsState', () => {
  let root: { dataset: Record<string, string | undefined> };
  let storage: Storage;
  let core: FakeCore;
  let stored: View;
  let keys: Key[];
  let state: SettingsState;

  beforeEach(() => {
    root = { dataset: {} };
    storage = memoryStorage();
    vi.stubGlobal('document', { documentElement: root });
    vi.stubGlobal('localStorage', storage);
    stored = view({ theme: 'dark' });
    keys = [];
    core = new FakeCore()
      .answer('settings.get', () => stored)
      .answer('settings.set', ({ hfToken, ...patch }) => {
        stored = {
          ...stored,
          ...patch,
          hfTokenSet: hfToken === undefined ? stored.hfTokenSet : hfToken !== null,
        };
        return stored;
      })
      .answer('apiKeys.list', () => [...keys])
      .answer('apiKeys.create', ({ name }) => {
        const k = { id: `k${keys.length}`, name, createdAt: 1, lastUsedAt: null, revokedAt: null };
        keys.push(k);
        return { ...k, key: `sk-orchard-${name}` };
      })
      .answer('apiKeys.revoke', ({ id }) => {
        keys = keys.map((k) => (k.id === id ? { ...k, revokedAt: 2 } : k));
        return keys.find((k) => k.id === id)!;
      });
    state = new SettingsState(appWith(core));
  });
  afterEach(() => vi.unstubAllGlobals());

  describe('theme', () => {
    it('sets the page’s theme and remembers it; "system" leaves it to the OS', () => {
      applyTheme('light');
      expect(root.dataset.theme).toBe('light');
      expect(storage.getItem('orchard.theme')).toBe('light');
      applyTheme('system');
      expect(root.dataset.theme).toBeUndefined();
      expect(storage.getItem('orchard.theme')).toBe('system');
    });

    it('restores the remembered theme before core answers, ignoring anything else', () => {
      storage.setItem('orchard.theme', 'dark');
      restoreTheme();
      expect(root.dataset.theme).toBe('dark');
      root.dataset = {};
      storage.setItem('orchard.theme', 'neon');
      restoreTheme();
      expect(root.dataset.theme).toBeUndefined();
    });
  });

  it('loads the settings and keys and applies the stored theme', async () => {
    await state.load();
    expect(state.view?.port).toBe(8765);
    expect(state.keys).toEqual([]);
    expect(root.dataset.theme).toBe('dark');
    expect(state.error).toBeNull();
  });

  it('shows a failed load', async () => {
    core.fail('apiKeys.list', 'database is locked');
    await state.load();
    expect(state.error).toBe('database is locked');
  });

  describe('save', () => {
    it('answers a patch that cannot be right field by field, without asking core', async () => {
      expect(await state.save({ port: 8080, downloadConcurrency: 9 })).toEqual({
        ok: false,
        errors: {
          port: 'this port belongs to another model server (1234, 8000, 8080, 11434)',
          downloadConcurrency: 'from 1 to 8',
        },
      });
      expect(core.inputs('settings.set')).toEqual([]);
    });

    it('saves, shows the new view, applies the theme and says what was saved', async () => {
      await state.load();
      expect(await state.save({ theme: 'light', port: 9000 }, 'Appearance')).toEqual({ ok: true });
      expect(state.view).toMatchObject({ theme: 'light', port: 9000 });
      expect(root.dataset.theme).toBe('light');
      expect(state.status).toBe('Appearance saved.');
      await state.save({ hfToken: ' hf_abc ' });
      expect(core.inputs('settings.set').at(-1)).toEqual({ hfToken: 'hf_abc' });
      expect(state.view?.hfTokenSet).toBe(true);
      expect(state.status).toBe('Settings saved.');
    });

    it('puts core’s refusal next to the field it names, or the whole form', async () => {
      core.fail('settings.set', 'modelsFolders.1: folder does not exist', 'validation');
      expect(await state.save({ modelsFolders: ['/a', '/b'] })).toEqual({
        ok: false,
        errors: { modelsFolders: 'folder does not exist' },
      });
      core.fail('settings.set', 'cannot write settings');
      expect(await state.save({ requireApiKey: true })).toEqual({
        ok: false,
        errors: { _form: 'cannot write settings' },
      });
      expect(state.status).toBeNull();
    });
  });

  describe('API keys', () => {
    it('shows a new key once and lists it', async () => {
      expect(await state.createKey('editor')).toEqual({ ok: true });
      expect(state.fresh).toEqual({ name: 'editor', key: 'sk-orchard-editor' });
      expect(state.keys.map((k) => k.name)).toEqual(['editor']);
    });

    it('puts a refused name next to the name field', async () => {
      core.fail('apiKeys.create', 'name: give the key a name', 'invalid_params');
      expect(await state.createKey('')).toEqual({
        ok: false,
        errors: { name: 'give the key a name' },
      });
      expect(state.fresh).toBeNull();
    });

    it('revokes a key and shows the list as core has it', async () => {
      await state.createKey('old');
      await state.revokeKey('k0');
      expect(state.keys[0]?.revokedAt).toBe(2);
      expect(state.status).toBe('Key revoked.');
      core.fail('apiKeys.revoke', 'no key k9', 'not_found');
      await state.revokeKey('k9');
      expect(state.error).toBe('no key k9');
    });
  });
});
