// Ready-to-copy settings for the agents and editors people plug into Orchard, filled in with this
// instance's address, a model and the key (or a stand-in for it); pure, so the page and its tests agree.

export interface SnippetInput {
  /** `http://127.0.0.1:8765/v1`. */
  apiBaseUrl: string;
  model: string;
  /** The model's window, where known. */
  contextLength: number | null;
  keyRequired: boolean;
}

export interface Snippet {
  id: string;
  client: string;
  /** Where it goes ("~/.codex/config.toml", "a terminal", "Settings → Connections"). */
  where: string;
  language: 'sh' | 'toml' | 'yaml' | 'json' | 'text';
  text: string;
  /** What else to know (where the key goes). */
  note?: string;
  /** The one-command alternative, for the agents `orchard launch` runs. */
  launch?: string;
}

/** What stands for the key: a variable the user fills with a key from Settings, or any value. */
export const KEY_VAR = 'ORCHARD_API_KEY';
export const KEY_PLACEHOLDER = 'paste-your-orchard-key';
export const NO_KEY = 'orchard';

/** The window assumed where Orchard reports none (clients that require a number get this one). */
const DEFAULT_WINDOW = 32_768;

export function buildSnippets(i: SnippetInput): Snippet[] {
  const origin = i.apiBaseUrl.replace(/\/v1\/?$/, '');
  const base = i.apiBaseUrl;
  const window = i.contextLength ?? DEFAULT_WINDOW;
  // Shell snippets read the key from the environment; config files that cannot get the placeholder.
  const keyLine = i.keyRequired
    ? `export ${KEY_VAR}=${KEY_PLACEHOLDER}   # a key from Settings → API keys`
    : `export ${KEY_VAR}=${NO_KEY}   # any value: this Orchard needs no key`;
  const literalKey = i.keyRequired ? KEY_PLACEHOLDER : NO_KEY;
  const q = (s: string) => JSON.stringify(s);
  const sh = (s: string) => (/^[\w./:@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const m = sh(i.model);

  return [
    {
      id: 'claude-code',
      client: 'Claude Code',
      where: 'a terminal',
      language: 'sh',
      text: [
        keyLine,
        `export ANTHROPIC_BASE_URL=${origin} ANTHROPIC_AUTH_TOKEN=$${KEY_VAR}`,
        // The small model too: Claude Code asks it for titles and summaries by a name Orchard lacks.
        `export ANTHROPIC_MODEL=${m} ANTHROPIC_DEFAULT_HAIKU_MODEL=${m}`,
        'claude',
      ].join('\n'),
      launch: `npm run orchard -- launch claude --model ${m}`,
    },
    {
      id: 'codex',
      client: 'Codex',
      where: '~/.codex/config.toml (Codex speaks only the Responses API)',
      language: 'toml',
      text: [
        `model = ${q(i.model)}`,
        'model_provider = "orchard"',
        `model_context_window = ${window}`,
        '',
        '[model_providers.orchard]',
        'name = "Orchard"',
        `base_url = ${q(base)}`,
        'wire_api = "responses"',
        `env_key = ${q(KEY_VAR)}`,
      ].join('\n'),
      note: i.keyRequired
        ? `Codex sends the key in ${KEY_VAR}: set it to a key from Settings → API keys.`
        : `Codex wants ${KEY_VAR} set, to any value (this Orchard needs no key): export ${KEY_VAR}=${NO_KEY}`,
      launch: `npm run orchard -- launch codex --model ${m}`,
    },
    {
      id: 'continue',
      client: 'Continue',
      where: '~/.continue/config.yaml',
      language: 'yaml',
      text: [
        'name: Orchard',
        'version: 1.0.0',
        'schema: v1',
        'models:',
        `  - name: ${q(i.model)}`,
        '    provider: openai',
        `    model: ${q(i.model)}`,
        `    apiBase: ${base}`,
        `    apiKey: ${literalKey}`,
        '    defaultCompletionOptions:',
        `      contextLength: ${window}`,
        '    roles: [chat, edit, apply]',
      ].join('\n'),
    },
    {
      id: 'cline',
      client: 'Cline',
      where: 'Cline settings → API Provider',
      language: 'text',
      text: [
        'API Provider: OpenAI Compatible',
        `Base URL: ${base}`,
        `API Key: ${literalKey}`,
        `Model ID: ${i.model}`,
        `Context Window Size: ${window}`,
      ].join('\n'),
    },
    {
      id: 'zed',
      client: 'Zed',
      where: 'settings.json',
      note: `Zed reads the key of the provider \`orchard\` from ${KEY_VAR}${i.keyRequired ? '' : ' (any value)'}.`,
      language: 'json',
      text: JSON.stringify(
        {
          language_models: {
            openai_compatible: {
              orchard: {
                api_url: base,
                available_models: [{ name: i.model, display_name: i.model, max_tokens: window }],
              },
            },
          },
        },
        null,
        2,
      ),
    },
    {
      id: 'open-webui',
      client: 'Open WebUI',
      where: 'a terminal (or Admin Settings → Connections → OpenAI API)',
      language: 'sh',
      text: [
        `OPENAI_API_BASE_URL=${base} OPENAI_API_KEY=${literalKey} open-webui serve`,
        '# in Docker: add --network=host, since Orchard listens on 127.0.0.1 only',
      ].join('\n'),
    },
    {
      id: 'aider',
      client: 'aider',
      where: 'a terminal',
      language: 'sh',
      text: [
        `export OPENAI_API_BASE=${base} OPENAI_API_KEY=${literalKey}`,
        `aider --model ${sh(`openai/${i.model}`)}`,
      ].join('\n'),
    },
  ];
}
