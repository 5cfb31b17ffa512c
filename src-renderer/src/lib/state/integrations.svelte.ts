// Integrations screen state: this instance's API address, whether a key is required and the names a
// client may use, turned into ready-to-copy settings for the chosen model; copy results per snippet.
import type { IntegrationsInfo } from '#shared/contract/integrations.ts';
import type { AppState } from './app.svelte.ts';
import { buildSnippets, type Snippet } from '../integrations/snippets.ts';
import { copyText } from '../ui/clipboard.ts';
import { errorMessage } from '../ui/validation.ts';

/** The model the snippets name first, when the machine has it (the starter the setup installs). */
const STARTER = 'HuggingFaceTB/SmolLM2-135M-Instruct';

export class IntegrationsState {
  readonly app: AppState;
  info = $state<IntegrationsInfo | null>(null);
  error = $state<string | null>(null);
  /** The model the snippets are filled in with; null picks the default. */
  chosen = $state<string | null>(null);
  /** The snippet id last copied, and whether the copy worked. */
  copied = $state<{ id: string; ok: boolean } | null>(null);

  constructor(app: AppState) {
    this.app = app;
  }

  async load(): Promise<void> {
    try {
      this.info = await this.app.api.call('integrations.info');
      this.error = null;
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  /** Names a client can send as they are: routed globs such as `gpt-*` are patterns, not models. */
  get models(): IntegrationsInfo['models'] {
    return (this.info?.models ?? []).filter((m) => !m.id.includes('*'));
  }

  get model(): string {
    const names = this.models.map((m) => m.id);
    if (this.chosen && names.includes(this.chosen)) return this.chosen;
    if (names.includes(STARTER)) return STARTER;
    return this.models.find((m) => m.kind === 'local')?.id ?? names[0] ?? 'MODEL';
  }

  get apiBaseUrl(): string {
    return this.info?.apiBaseUrl ?? `${this.app.gatewayOrigin}/v1`;
  }

  get snippets(): Snippet[] {
    const model = this.model;
    return buildSnippets({
      apiBaseUrl: this.apiBaseUrl,
      model,
      contextLength: this.models.find((m) => m.id === model)?.contextLength ?? null,
      keyRequired: this.info?.keyRequired ?? false,
    });
  }

  async copy(id: string, text: string): Promise<void> {
    this.copied = { id, ok: await copyText(text) };
  }
}
