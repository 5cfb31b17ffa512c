// Reads an OpenAI-style chat completion stream from the gateway into typed deltas; the SSE framing
// is the shared parser's. Pure over a ReadableStream, so it is tested without a browser.
import { sseParser } from '#shared/sse.ts';

export type StreamEvent =
  | { kind: 'reasoning'; text: string }
  | { kind: 'content'; text: string }
  | { kind: 'finish'; reason: string }
  | {
      kind: 'usage';
      completionTokens: number;
      promptTokens: number | null;
      /** Speculative decoding's counts, when the sidecar speculated. */
      spec?: { proposed: number; accepted: number };
    }
  /** A piece of a tool call: `index` says which call; id and name come first, arguments in pieces. */
  | { kind: 'toolCall'; index: number; id?: string; name?: string; arguments?: string }
  | { kind: 'error'; message: string };

interface Chunk {
  choices?: Array<{
    delta?: {
      content?: string | null;
      reasoning_content?: string | null;
      reasoning?: string | null;
      tool_calls?: Array<{
        index?: number;
        id?: string;
        function?: { name?: string; arguments?: string };
      }> | null;
    };
    finish_reason?: string | null;
  }>;
  usage?: {
    completion_tokens?: number;
    prompt_tokens?: number;
    orchard?: { speculative?: { proposed?: number; accepted?: number } };
  } | null;
  error?: { message?: string } | string;
}

/** Turns one SSE `data:` payload into events; [DONE] and keep-alives give none. */
export function parseChunk(data: string): StreamEvent[] {
  if (data === '[DONE]' || data === '') return [];
  let chunk: Chunk;
  try {
    chunk = JSON.parse(data) as Chunk;
  } catch {
    return [{ kind: 'error', message: 'the gateway sent a malformed stream chunk' }];
  }
  const out: StreamEvent[] = [];
  if (chunk.error !== undefined) {
    out.push({
      kind: 'error',
      message:
        typeof chunk.error === 'string'
          ? chunk.error
          : (chunk.error.message ?? 'the stream failed'),
    });
    return out;
  }
  for (const choice of chunk.choices ?? []) {
    const r = choice.delta?.reasoning_content ?? choice.delta?.reasoning;
    if (r) out.push({ kind: 'reasoning', text: r });
    if (choice.delta?.content) out.push({ kind: 'content', text: choice.delta.content });
    for (const [i, tc] of (choice.delta?.tool_calls ?? []).entries()) {
      const ev: StreamEvent = { kind: 'toolCall', index: tc.index ?? i };
      if (tc.id) ev.id = tc.id;
      if (tc.function?.name) ev.name = tc.function.name;
      if (tc.function?.arguments) ev.arguments = tc.function.arguments;
      out.push(ev);
    }
    if (choice.finish_reason) out.push({ kind: 'finish', reason: choice.finish_reason });
  }
  if (chunk.usage && typeof chunk.usage.completion_tokens === 'number') {
    const spec = chunk.usage.orchard?.speculative;
    out.push({
      kind: 'usage',
      completionTokens: chunk.usage.completion_tokens,
      promptTokens: chunk.usage.prompt_tokens ?? null,
      ...(typeof spec?.proposed === 'number'
        ? { spec: { proposed: spec.proposed, accepted: spec.accepted ?? 0 } }
        : {}),
    });
  }
  return out;
}

/** Yields events as SSE frames arrive; frames may be split anywhere across network chunks. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  const reader = body.getReader();
  const parser = sseParser();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      for (const frame of done ? parser.end() : parser.push(value)) yield* parseChunk(frame.data);
      if (done) break;
    }
  } finally {
    reader.releaseLock();
  }
}
