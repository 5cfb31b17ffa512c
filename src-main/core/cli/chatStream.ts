// One streamed chat completion from the running serve's /v1/chat/completions (the gateway, reached as
// any client reaches it, with the per-launch token), read into typed deltas for `orchard run`.
import { z } from 'zod';
import { sseParser } from '#shared/sse.ts';
import { CoreError, type ErrorCode } from '../errors/index.ts';

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export type Delta =
  | { kind: 'reasoning'; text: string }
  | { kind: 'content'; text: string }
  | { kind: 'finish'; reason: string };

// Only the fields read here; the rest of a chunk is dropped. A `reasoning` alias is sent beside
// `reasoning_content` by some servers (and by Orchard's sidecar): the first present one is taken.
const Chunk = z.object({
  choices: z
    .array(
      z.object({
        delta: z
          .object({
            content: z.string().nullish(),
            reasoning_content: z.string().nullish(),
            reasoning: z.string().nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  error: z.union([z.string(), z.object({ message: z.string().optional() })]).optional(),
});

const ErrorBody = z.object({ error: z.object({ message: z.string() }) });

function codeFor(status: number): ErrorCode {
  if (status === 404) return 'not_found';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 400 || status === 413 || status === 422) return 'validation';
  if (status === 503) return 'sidecar_unavailable';
  return 'internal';
}

/** Parses one SSE data payload; [DONE] gives nothing, an error chunk throws with its message. */
export function parseChunk(data: string): Delta[] {
  if (data === '[DONE]' || data === '') return [];
  let parsed;
  try {
    parsed = Chunk.safeParse(JSON.parse(data));
  } catch {
    throw new CoreError('internal', 'the server sent a malformed stream chunk');
  }
  if (!parsed.success)
    throw new CoreError('internal', 'the server sent an unexpected stream chunk');
  const chunk = parsed.data;
  if (chunk.error !== undefined)
    throw new CoreError(
      'internal',
      typeof chunk.error === 'string' ? chunk.error : (chunk.error.message ?? 'the stream failed'),
    );
  const out: Delta[] = [];
  for (const choice of chunk.choices ?? []) {
    const r = choice.delta?.reasoning_content ?? choice.delta?.reasoning;
    if (r) out.push({ kind: 'reasoning', text: r });
    if (choice.delta?.content) out.push({ kind: 'content', text: choice.delta.content });
    if (choice.finish_reason) out.push({ kind: 'finish', reason: choice.finish_reason });
  }
  return out;
}

/**
 * Streams the answer to `messages`. An HTTP error becomes a CoreError with the server's own message;
 * aborting `signal` closes the request, which cancels the generation in serve.
 */
export async function* streamChat(
  origin: string,
  token: string,
  body: { model: string; messages: ChatTurn[] },
  signal: AbortSignal,
): AsyncGenerator<Delta> {
  let res: Response;
  try {
    res = await fetch(`${origin}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ ...body, stream: true }),
      signal,
    });
  } catch (e) {
    if (signal.aborted) throw e;
    // undici says only "fetch failed"; the reason (ECONNREFUSED: serve stopped) is its cause.
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new CoreError(
      'sidecar_unavailable',
      `cannot reach Orchard at ${origin} (${cause?.code ?? cause?.message ?? String(e)}); is it still running?`,
    );
  }
  if (!res.ok || !res.body) {
    const text = await res.text().catch(() => '');
    let message = `the server answered HTTP ${res.status}`;
    try {
      message = ErrorBody.parse(JSON.parse(text)).error.message;
    } catch {
      // Not an error object: keep the status line.
    }
    throw new CoreError(codeFor(res.status), message, { status: res.status });
  }
  const parser = sseParser();
  const reader = res.body.getReader();
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (e) {
        if (signal.aborted) throw e;
        throw new CoreError('sidecar_unavailable', 'the connection to Orchard broke mid-answer');
      }
      const { done, value } = next;
      if (done) break;
      for (const ev of parser.push(value)) yield* parseChunk(ev.data);
    }
  } finally {
    reader.releaseLock();
  }
  for (const ev of parser.end()) yield* parseChunk(ev.data);
}
