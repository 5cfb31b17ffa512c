// A chat completion as Ollama's /api/chat or /api/generate reply: the message (or response text) with its
// thinking and tool calls, done_reason, token counts and durations in nanoseconds measured at the gateway.
import { performance } from 'node:perf_hooks';
import type { Json, OAChatResponse, OAToolCall, OAUsage } from '../translate/shapes.ts';

/** What one reply needs besides the chat answer. */
export interface ReplyContext {
  /** The name the client asked for, echoed back as Ollama does. */
  model: string;
  kind: 'chat' | 'generate';
  /** performance.now() when the request arrived. */
  startedAt: number;
  /** Milliseconds spent loading the model before the request (keep_alive / num_ctx loads). */
  loadMs: number;
}

const ns = (ms: number) => Math.max(0, Math.round(ms * 1e6));

export function createdAt(): string {
  return new Date().toISOString();
}

/** Ollama ends with "stop" or "length"; a tool call is a "stop" there too. */
export function doneReason(finish: string | null | undefined): string {
  return finish === 'length' ? 'length' : 'stop';
}

/** Tool calls as Ollama's: arguments as an object (an unparsable string becomes {}). */
export function ollamaToolCalls(calls: readonly OAToolCall[]): Json[] {
  return calls.map((tc, index) => {
    let args: unknown = {};
    try {
      args = JSON.parse(tc.function?.arguments || '{}');
    } catch {
      // The model wrote arguments that are not JSON; Ollama's clients expect an object.
    }
    return {
      ...(tc.id ? { id: tc.id } : {}),
      function: {
        index,
        name: tc.function?.name ?? '',
        arguments: args && typeof args === 'object' && !Array.isArray(args) ? args : {},
      },
    };
  });
}

/**
 * The closing fields: counts from the usage, durations from the clock. `firstTokenAt` splits prompt from
 * generation time; without it (a reply not streamed) the whole time after loading counts as generation.
 */
export function doneFields(
  ctx: ReplyContext,
  finish: string | null | undefined,
  usage: OAUsage | null | undefined,
  firstTokenAt: number | null,
): Json {
  const end = performance.now();
  const afterLoad = ctx.startedAt + ctx.loadMs;
  const first = firstTokenAt ?? afterLoad;
  return {
    done: true,
    done_reason: doneReason(finish),
    total_duration: ns(end - ctx.startedAt),
    load_duration: ns(ctx.loadMs),
    prompt_eval_count: usage?.prompt_tokens ?? 0,
    prompt_eval_duration: ns(first - afterLoad),
    eval_count: usage?.completion_tokens ?? 0,
    eval_duration: ns(end - first),
  };
}

export function fromChat(ctx: ReplyContext, res: OAChatResponse): Json {
  const choice = res.choices?.[0];
  const m = choice?.message;
  const text = typeof m?.content === 'string' ? m.content : '';
  const thinking = m?.reasoning_content ?? m?.reasoning ?? '';
  const calls = m?.tool_calls ?? [];
  const head: Json = { model: ctx.model, created_at: createdAt() };
  const tail = doneFields(ctx, choice?.finish_reason, res.usage, null);
  if (ctx.kind === 'generate')
    return { ...head, response: text, ...(thinking ? { thinking } : {}), ...tail };
  return {
    ...head,
    message: {
      role: 'assistant',
      content: text,
      ...(thinking ? { thinking } : {}),
      ...(calls.length ? { tool_calls: ollamaToolCalls(calls) } : {}),
    },
    ...tail,
  };
}
