// Settings screen state: the stored settings, API keys (a new key shown once), the Hub token (write-only)
// and the theme, applied to the document as soon as it is known.
import type { MethodResult } from '#shared/contract/index.ts';
import { SettingsPatch, type SettingsView, type Theme } from '#shared/contract/settings.ts';
import type { AppState } from './app.svelte.ts';
import { errorMessage, issuesByField, type FieldErrors } from '../ui/validation.ts';

type ApiKey = MethodResult<'apiKeys.list'>[number];
export type SaveOutcome = { ok: true } | { ok: false; errors: FieldErrors };

const THEME_KEY = 'orchard.theme';

export function applyTheme(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  localStorage.setItem(THEME_KEY, theme);
}

/** The theme last used on this machine, applied before core answers so the page does not flash. */
export function restoreTheme(): void {
  const t = localStorage.getItem(THEME_KEY);
  if (t === 'light' || t === 'dark' || t === 'system') applyTheme(t);
}

/** "field: message" from the server becomes that field's message. */
function serverErrors(e: unknown): FieldErrors {
  const message = errorMessage(e);
  const m = /^(\w+)(?:\.\d+)?: (.*)$/.exec(message);
  return m ? { [m[1]!]: m[2]! } : { _form: message };
}

export class SettingsState {
  readonly app: AppState;
  view = $state<SettingsView | null>(null);
  keys = $state<ApiKey[]>([]);
  /** A key just created: its secret is shown this once. */
  fresh = $state<{ name: string; key: string } | null>(null);
  error = $state<string | null>(null);
  status = $state<string | null>(null);

  constructor(app: AppState) {
    this.app = app;
  }

  async load(): Promise<void> {
    try {
      [this.view, this.keys] = await Promise.all([
        this.app.api.call('settings.get'),
        this.app.api.call('apiKeys.list'),
      ]);
      applyTheme(this.view.theme);
      this.error = null;
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  async save(patch: SettingsPatch, what = 'Settings'): Promise<SaveOutcome> {
    const parsed = SettingsPatch.safeParse(patch);
    if (!parsed.success) return { ok: false, errors: issuesByField(parsed.error) };
    try {
      this.view = await this.app.api.call('settings.set', parsed.data);
      applyTheme(this.view.theme);
      this.status = `${what} saved.`;
      return { ok: true };
    } catch (e) {
      return { ok: false, errors: serverErrors(e) };
    }
  }

  async createKey(name: string): Promise<SaveOutcome> {
    try {
      const k = await this.app.api.call('apiKeys.create', { name });
      this.fresh = { name: k.name, key: k.key };
      this.keys = await this.app.api.call('apiKeys.list');
      return { ok: true };
    } catch (e) {
      return { ok: false, errors: { name: errorMessage(e).replace(/^name: /, '') } };
    }
  }

  async revokeKey(id: string): Promise<void> {
    try {
      await this.app.api.call('apiKeys.revoke', { id });
      this.keys = await this.app.api.call('apiKeys.list');
      this.status = 'Key revoked.';
    } catch (e) {
      this.error = errorMessage(e);
    }
  }
}
