// What `orchard launch` hands each agent: environment variables and files in a private temporary folder
// that point it at this Orchard, so the user's own agent config is never read for the endpoint nor written.
// Pure: the caller owns the folder, the binary and the process.
import path from 'node:path';
import { z } from 'zod';

export const AGENTS = ['claude', 'codex', 'opencode'] as const;
export type AgentName = (typeof AGENTS)[number];

/** The model chosen when none is named, if it is on the machine (the starter the setup installs). */
export const STARTER_MODEL = 'HuggingFaceTB/SmolLM2-135M-Instruct';

/** What the agent is pointed at. */
export interface LaunchTarget {
  /** `http://127.0.0.1:PORT`, without `/v1`. */
  origin: string;
  model: string;
  /** The model's window in tokens, when Orchard reports one. */
  contextLength: number | null;
  /** The key the agent sends: a real one when the instance requires keys, else a placeholder. */
  apiKey: string;
}

export interface AgentSetup {
  /** Set (a string) or removed (null) in the agent's environment; everything else is inherited. */
  env: Record<string, string | null>;
  /** Files to write into the temporary folder, by name. */
  files: Record<string, string>;
}

/** The variable the Codex and opencode configs read the key from (Claude Code has its own). */
export const KEY_ENV = 'ORCHARD_API_KEY';

/** Sent when the instance needs no key: the agents refuse to start with none at all. */
export const PLACEHOLDER_KEY = 'orchard';

/**
 * Output tokens to ask for, from the window: an agent that reserves its usual 32k for the answer
 * refuses its own prompt on an 8k model ("Prompt is too long") before sending anything.
 */
export function outputBudget(contextLength: number): number {
  return Math.min(32_000, Math.max(256, Math.floor(contextLength / 8)));
}

/** A TOML basic string: JSON's escapes (\" \\ \n \uXXXX) are TOML's too. */
function toml(s: string): string {
  return JSON.stringify(s);
}

function claude(t: LaunchTarget, env: NodeJS.ProcessEnv): AgentSetup {
  const window = t.contextLength;
  return {
    env: {
      ANTHROPIC_BASE_URL: t.origin,
      // A bearer token; ANTHROPIC_API_KEY is dropped so a real Anthropic key in the user's shell is not
      // sent here, and cloud switches so the requests cannot go to Bedrock, Vertex or Foundry instead.
      ANTHROPIC_AUTH_TOKEN: t.apiKey,
      ANTHROPIC_API_KEY: null,
      CLAUDE_CODE_USE_BEDROCK: null,
      CLAUDE_CODE_USE_VERTEX: null,
      CLAUDE_CODE_USE_FOUNDRY: null,
      // Every model role (main, the small one for titles and summaries, subagents) is this model.
      ANTHROPIC_MODEL: t.model,
      ANTHROPIC_SMALL_FAST_MODEL: t.model,
      ANTHROPIC_DEFAULT_OPUS_MODEL: t.model,
      ANTHROPIC_DEFAULT_SONNET_MODEL: t.model,
      ANTHROPIC_DEFAULT_HAIKU_MODEL: t.model,
      CLAUDE_CODE_SUBAGENT_MODEL: t.model,
      // No telemetry, error reports, update checks or feedback prompts: nothing leaves the machine.
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      // Claude Code assumes 1M tokens for a model it does not know; this is the window it compacts to.
      // The user's own values win: they are tuning, not pointing.
      ...(window !== null
        ? {
            CLAUDE_CODE_MAX_CONTEXT_TOKENS: env.CLAUDE_CODE_MAX_CONTEXT_TOKENS ?? String(window),
            CLAUDE_CODE_MAX_OUTPUT_TOKENS:
              env.CLAUDE_CODE_MAX_OUTPUT_TOKENS ?? String(outputBudget(window)),
          }
        : {}),
    },
    files: {},
  };
}

function codex(t: LaunchTarget, dir: string): AgentSetup {
  const lines = [
    '# Written by `orchard launch codex` for one run; removed when Codex exits.',
    `model = ${toml(t.model)}`,
    'model_provider = "orchard"',
    ...(t.contextLength !== null ? [`model_context_window = ${t.contextLength}`] : []),
    'check_for_update_on_startup = false',
    '',
    '[model_providers.orchard]',
    'name = "Orchard"',
    `base_url = ${toml(`${t.origin}/v1`)}`,
    // Codex speaks only the Responses API; it refuses `wire_api = "chat"` itself.
    'wire_api = "responses"',
    `env_key = ${toml(KEY_ENV)}`,
    '',
  ];
  return {
    env: { CODEX_HOME: dir, [KEY_ENV]: t.apiKey },
    files: { 'config.toml': lines.join('\n') },
  };
}

function opencode(t: LaunchTarget, dir: string): AgentSetup {
  // opencode caps a custom model's answer at 0 tokens when no limit is given, so one is always set.
  const window = t.contextLength ?? 32_768;
  const config = {
    $schema: 'https://opencode.ai/config.json',
    autoupdate: false,
    share: 'disabled',
    model: `orchard/${t.model}`,
    small_model: `orchard/${t.model}`,
    provider: {
      orchard: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Orchard',
        options: { baseURL: `${t.origin}/v1`, apiKey: `{env:${KEY_ENV}}` },
        models: {
          [t.model]: { name: t.model, limit: { context: window, output: outputBudget(window) } },
        },
      },
    },
  };
  return {
    // OPENCODE_CONFIG is merged over the user's own config, so their other settings still apply.
    env: { OPENCODE_CONFIG: path.join(dir, 'opencode.json'), [KEY_ENV]: t.apiKey },
    files: { 'opencode.json': `${JSON.stringify(config, null, 2)}\n` },
  };
}

export function agentSetup(
  agent: AgentName,
  target: LaunchTarget,
  ctx: { dir: string; env: NodeJS.ProcessEnv },
): AgentSetup {
  switch (agent) {
    case 'claude':
      return claude(target, ctx.env);
    case 'codex':
      return codex(target, ctx.dir);
    case 'opencode':
      return opencode(target, ctx.dir);
  }
}

/** The environment the agent runs with: the launcher's own, with the setup's changes applied. */
export function agentEnv(base: NodeJS.ProcessEnv, setup: AgentSetup): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const [k, v] of Object.entries(setup.env)) {
    if (v === null) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** GET /v1/models as launch reads it: ids, who owns them, and the window where Orchard knows it. */
export const ModelListing = z.object({
  data: z.array(
    z.looseObject({
      id: z.string().min(1),
      owned_by: z.string().optional(),
      context_length: z.number().int().positive().optional(),
      capabilities: z.array(z.string()).optional(),
    }),
  ),
});
export type ModelListing = z.infer<typeof ModelListing>;

/**
 * The model to launch on: the one asked for (a routed or profile name need not be a local model), else
 * the starter, else the first local model that chats; null when there is none.
 */
export function pickModel(
  listing: ModelListing,
  requested: string | undefined,
): { model: string; contextLength: number | null } | null {
  const entry = (id: string) => listing.data.find((m) => m.id === id);
  const chosen =
    requested ??
    entry(STARTER_MODEL)?.id ??
    listing.data.find(
      (m) =>
        m.owned_by === 'orchard-local' &&
        (m.capabilities === undefined || m.capabilities.includes('completion')),
    )?.id;
  if (chosen === undefined) return null;
  return { model: chosen, contextLength: entry(chosen)?.context_length ?? null };
}
