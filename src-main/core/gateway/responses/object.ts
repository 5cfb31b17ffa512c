// The pieces of a Responses `response` object shared by the JSON reply and the stream: ids, output items,
// the status a chat finish reason stands for, usage, and the envelope that echoes the request.
import crypto from 'node:crypto';
import { parseArguments } from '../translate/openaiToAnthropic.ts';
import type { Json } from '../translate/shapes.ts';
import type { ResponsesRequest } from './protocol.ts';
import type { ToolNames } from './tools.ts';

/** What one response's translation needs to know, fixed for the request across its attempts. */
export interface ResponseContext {
  id: string;
  /** Seconds since the epoch. */
  createdAt: number;
  req: ResponsesRequest;
  names: ToolNames;
  /** Reasoning goes out as a summary (the client asked for one) rather than as reasoning_text. */
  summary: boolean;
}

export const newId = (prefix: string): string =>
  `${prefix}_${crypto.randomBytes(24).toString('hex')}`;

export function messageItem(id: string, text: string, status: string): Json {
  return {
    id,
    type: 'message',
    status,
    role: 'assistant',
    content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
  };
}

export function reasoningItem(ctx: ResponseContext, id: string, text: string): Json {
  return ctx.summary
    ? { id, type: 'reasoning', summary: [{ type: 'summary_text', text }] }
    : { id, type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text }] };
}

/** A chat tool call as the Responses item for the tool it names (a custom tool's call carries `input`). */
export function callItem(
  ctx: ResponseContext,
  id: string,
  callId: string,
  chatName: string,
  args: string,
  status: string,
): Json {
  const ref = ctx.names.ref(chatName);
  const ns = ref.namespace ? { namespace: ref.namespace } : {};
  if (ref.kind === 'custom') {
    const parsed = parseArguments(args) as Json | null;
    const input = typeof parsed?.input === 'string' ? parsed.input : args;
    return { id, type: 'custom_tool_call', status, call_id: callId, name: ref.name, input, ...ns };
  }
  return {
    id,
    type: 'function_call',
    status,
    arguments: args,
    call_id: callId,
    name: ref.name,
    ...ns,
  };
}

/** The item id for an output item's kind. */
export const itemPrefix = (kind: 'message' | 'reasoning' | 'call' | 'custom'): string =>
  ({ message: 'msg', reasoning: 'rs', call: 'fc', custom: 'ctc' })[kind];

export function statusOf(finish: string | null | undefined): {
  status: 'completed' | 'incomplete';
  incomplete_details: Json | null;
} {
  if (finish === 'length')
    return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter')
    return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/** Chat usage (with the sidecar's cached and reasoning token details) as Responses usage. */
export function responsesUsage(u: Json | null | undefined): Json | null {
  if (!u) return null;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const input = n(u.prompt_tokens);
  const output = n(u.completion_tokens);
  return {
    input_tokens: input,
    input_tokens_details: {
      cached_tokens: n((u.prompt_tokens_details as Json | undefined)?.cached_tokens),
    },
    output_tokens: output,
    output_tokens_details: {
      reasoning_tokens: n((u.completion_tokens_details as Json | undefined)?.reasoning_tokens),
    },
    total_tokens: n(u.total_tokens) || input + output,
    // Orchard's extension (speculative decoding's counts), as the chat completions usage carries it.
    ...(u.orchard ? { orchard: u.orchard } : {}),
  };
}

/** The response object around its output, echoing what the request asked for. */
export function envelope(
  ctx: ResponseContext,
  status: string,
  output: Json[],
  more: { usage?: Json | null; error?: Json | null; incomplete_details?: Json | null } = {},
): Json {
  const r = ctx.req;
  return {
    id: ctx.id,
    object: 'response',
    created_at: ctx.createdAt,
    status,
    background: false,
    error: more.error ?? null,
    incomplete_details: more.incomplete_details ?? null,
    instructions: r.instructions ?? null,
    max_output_tokens: r.max_output_tokens ?? null,
    max_tool_calls: null,
    model: r.model,
    output,
    parallel_tool_calls: r.parallel_tool_calls ?? true,
    previous_response_id: r.previous_response_id ?? null,
    prompt_cache_key: r.prompt_cache_key ?? null,
    reasoning: { effort: r.reasoning?.effort ?? null, summary: r.reasoning?.summary ?? null },
    safety_identifier: r.safety_identifier ?? null,
    service_tier: 'default',
    store: r.store !== false,
    temperature: r.temperature ?? 1,
    text: { format: r.text?.format ?? { type: 'text' }, verbosity: 'medium' },
    tool_choice: r.tool_choice ?? 'auto',
    tools: r.tools ?? [],
    top_logprobs: 0,
    top_p: r.top_p ?? 1,
    truncation: 'disabled',
    usage: more.usage ?? null,
    user: r.user ?? null,
    metadata: r.metadata ?? {},
  };
}
