// The chat's request settings (system prompt, sampling, tools, speculation) and the model picker's
// selection: their defaults, where they are kept (localStorage), and the request body they make.
import type { ChatMessage } from '#shared/contract/conversations.ts';
import type { McpTool } from '#shared/contract/mcp.ts';
import type { ChatRequest } from './gateway.ts';
import { historyMessages, toolSpecs } from './tools.ts';

export interface ChatSettings {
  systemPrompt: string;
  temperature: number | null;
  top_p: number | null;
  top_k: number | null;
  max_tokens: number | null;
  seed: number | null;
  /** Offer the tools of the enabled MCP servers to the model. */
  useTools: boolean;
  /** Rounds of tool calls one answer may take before the loop is ended. */
  toolRounds: number;
  /** Speculative decoding: the model's or profile's default, none, prompt lookup, or a draft model. */
  speculative: 'default' | 'none' | 'prompt_lookup' | 'draft_model';
  /** The draft model's repo id when `speculative` is `draft_model`. */
  draftModel: string;
}

/** What the picker selected: a local model (repo id) or a profile (by id). */
export type Selection = { kind: 'model'; id: string } | { kind: 'profile'; id: string };

export const SETTINGS_KEY = 'orchard.chat.settings';
export const SELECTION_KEY = 'orchard.chat.selection';
export const DEFAULT_SETTINGS: ChatSettings = {
  systemPrompt: '',
  temperature: null,
  top_p: null,
  top_k: null,
  max_tokens: null,
  seed: null,
  useTools: true,
  toolRounds: 5,
  speculative: 'default',
  draftModel: '',
};

export function readJson<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key);
    return raw ? { ...fallback, ...(JSON.parse(raw) as T) } : fallback;
  } catch {
    return fallback;
  }
}

/** Rounds of tool calls one answer may take: a cleared or nonsense field falls back to the default. */
export function toolRoundLimit(s: ChatSettings): number {
  const set = s.toolRounds;
  return Number.isInteger(set) && set >= 1 ? set : DEFAULT_SETTINGS.toolRounds;
}

/** The gateway request for the conversation so far: the system prompt, the set parameters, the tools. */
export function chatRequest(
  s: ChatSettings,
  model: string,
  history: ChatMessage[],
  tools: McpTool[],
): ChatRequest {
  const previous = historyMessages(history);
  const messages: ChatRequest['messages'] = s.systemPrompt.trim()
    ? [{ role: 'system', content: s.systemPrompt }, ...previous]
    : previous;
  const params: Record<string, unknown> = {};
  for (const key of ['temperature', 'top_p', 'top_k', 'max_tokens', 'seed'] as const) {
    const v = s[key];
    if (v !== null && Number.isFinite(v)) params[key] = v;
  }
  if (s.speculative === 'none') params.speculative = 'none';
  else if (s.speculative === 'prompt_lookup') params.speculative = { method: 'prompt_lookup' };
  else if (s.speculative === 'draft_model' && s.draftModel.trim())
    params.speculative = { draft_model: s.draftModel.trim() };
  return tools.length
    ? { model, messages, params, tools: toolSpecs(tools) }
    : { model, messages, params };
}
