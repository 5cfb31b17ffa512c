// Chat chunks as Ollama's NDJSON stream: one line per text or thinking delta, the tool calls in one line
// once complete, and a last line with done: true, done_reason, counts and durations.
import { performance } from 'node:perf_hooks';
import type { ChatStreamTranslator } from '../frontEnd.ts';
import type { Json, OAChunk, OAToolCall, OAUsage } from '../translate/shapes.ts';
import { createdAt, doneFields, ollamaToolCalls, type ReplyContext } from './fromChat.ts';

export const NDJSON = 'application/x-ndjson';

export function line(body: Json): string {
  return `${JSON.stringify(body)}\n`;
}

/** A translator for one attempt; `onEnd` runs once when the stream finished or broke. */
export function ollamaStream(
  ctx: ReplyContext,
  onEnd: () => void = () => {},
): ChatStreamTranslator {
  let finish: string | null = null;
  let usage: OAUsage | null = null;
  let firstTokenAt: number | null = null;
  let ended = false;
  // Arguments arrive in pieces; Ollama's clients get each call whole.
  const calls = new Map<number, OAToolCall & { function: { name: string; arguments: string } }>();

  const piece = (fields: { content?: string; thinking?: string; tool_calls?: Json[] }): string => {
    const head = { model: ctx.model, created_at: createdAt() };
    if (ctx.kind === 'generate')
      return line({
        ...head,
        response: fields.content ?? '',
        ...(fields.thinking ? { thinking: fields.thinking } : {}),
        done: false,
      });
    return line({
      ...head,
      message: { role: 'assistant', content: fields.content ?? '', ...fields },
      done: false,
    });
  };

  const flushCalls = (frames: string[]) => {
    if (!calls.size) return;
    const whole = [...calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => c);
    calls.clear();
    // /api/generate has no tools; a model that calls one anyway is answered as text there.
    if (ctx.kind === 'chat') frames.push(piece({ tool_calls: ollamaToolCalls(whole) }));
  };

  const finished = () => {
    if (ended) return;
    ended = true;
    onEnd();
  };

  return {
    push(c: OAChunk) {
      const frames: string[] = [];
      if (c.usage) usage = c.usage;
      const choice = c.choices?.[0];
      if (!choice) return frames;
      const d = choice.delta ?? {};
      const thinking = d.reasoning_content ?? d.reasoning;
      if ((thinking || d.content || d.tool_calls?.length) && firstTokenAt === null)
        firstTokenAt = performance.now();
      if (thinking) frames.push(piece({ thinking }));
      if (d.content) frames.push(piece({ content: d.content }));
      for (const tc of d.tool_calls ?? []) {
        const index = tc.index ?? 0;
        const at = calls.get(index) ?? {
          id: tc.id ?? `call_${index}`,
          type: 'function' as const,
          function: { name: '', arguments: '' },
        };
        if (tc.function?.name) at.function.name += tc.function.name;
        if (tc.function?.arguments) at.function.arguments += tc.function.arguments;
        calls.set(index, at);
      }
      if (choice.finish_reason) {
        finish = choice.finish_reason;
        flushCalls(frames);
      }
      return frames;
    },
    end() {
      const frames: string[] = [];
      flushCalls(frames);
      const head = { model: ctx.model, created_at: createdAt() };
      const body =
        ctx.kind === 'generate'
          ? { response: '' }
          : { message: { role: 'assistant', content: '' } };
      frames.push(line({ ...head, ...body, ...doneFields(ctx, finish, usage, firstTokenAt) }));
      finished();
      return frames;
    },
    error(message: string) {
      finished();
      return line({ error: message });
    },
  };
}
