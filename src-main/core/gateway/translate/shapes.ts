// The subset of the OpenAI Chat Completions and Anthropic Messages wire shapes the translators read.
// Loose on purpose: unknown fields pass through the untranslated path; here only what maps both ways.

export type Json = Record<string, unknown>;

export interface OAToolCall {
  id?: string;
  type?: 'function';
  index?: number;
  function?: { name?: string; arguments?: string };
}

export interface OAMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content?: string | Array<Json> | null;
  name?: string;
  tool_calls?: OAToolCall[];
  tool_call_id?: string;
  reasoning_content?: string | null;
  reasoning?: string | null;
}

export interface OAChatRequest {
  model: string;
  messages: OAMessage[];
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop?: string | string[] | null;
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  tools?: Array<{
    type: 'function';
    function: { name: string; description?: string; parameters?: Json };
  }>;
  tool_choice?: 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };
  parallel_tool_calls?: boolean;
  reasoning_effort?: 'minimal' | 'low' | 'medium' | 'high';
  user?: string;
  [k: string]: unknown;
}

export interface OAUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
}

export interface OAChatResponse {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  choices: Array<{
    index?: number;
    message: OAMessage;
    finish_reason?: string | null;
  }>;
  usage?: OAUsage | null;
}

export interface OAChunk {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  choices?: Array<{
    index?: number;
    delta?: {
      role?: string;
      content?: string | null;
      reasoning_content?: string | null;
      reasoning?: string | null;
      tool_calls?: OAToolCall[];
    };
    finish_reason?: string | null;
  }>;
  usage?: OAUsage | null;
  error?: Json;
}

export type ABlock =
  | { type: 'text'; text: string; [k: string]: unknown }
  | {
      type: 'image';
      source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };
    }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; tool_use_id: string; content?: string | ABlock[]; is_error?: boolean }
  | { type: 'thinking'; thinking: string; signature?: string }
  | { type: 'redacted_thinking'; data: string };

export interface AMessage {
  /** 'system': Claude Code 2.1 sends instructions among the turns. */
  role: 'user' | 'assistant' | 'system';
  content: string | ABlock[];
}

export interface AMessagesRequest {
  model: string;
  messages: AMessage[];
  system?: string | Array<{ type: 'text'; text: string }>;
  max_tokens: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  stream?: boolean;
  tools?: Array<{ name: string; description?: string; input_schema?: Json; type?: string }>;
  tool_choice?: {
    type: 'auto' | 'any' | 'none' | 'tool';
    name?: string;
    disable_parallel_tool_use?: boolean;
  };
  thinking?: { type: 'enabled'; budget_tokens: number } | { type: 'disabled' };
  metadata?: { user_id?: string };
  [k: string]: unknown;
}

export interface AUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export interface AMessagesResponse {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: ABlock[];
  stop_reason: string | null;
  stop_sequence: string | null;
  usage: AUsage;
}

/** One Anthropic SSE event: `event: <type>` + `data: <json with the same type>`. */
export type AEvent = Json & { type: string };
