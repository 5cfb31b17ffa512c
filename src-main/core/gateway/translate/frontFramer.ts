// A chat backend's stream for a front-end client (Responses, Ollama): upstream events become chat chunks
// (an Anthropic backend's through the chunk translator) and the front-end's translator frames them.
import type { ChatStreamTranslator } from '../frontEnd.ts';
import type { Protocol } from '../errors.ts';
import { anthropicStreamToOpenAI } from './anthropicStreamToOpenai.ts';
import { hasToken, parse, streamErrorOf, type Framer, type StreamStep } from './framer.ts';
import type { AEvent, Json, OAChunk } from './shapes.ts';
import { num, speculativeOf, type Usage } from './usage.ts';

export function chatToFrontFramer(
  t: ChatStreamTranslator,
  upstream: Protocol,
  model: string,
): Framer & { errorFrame(message: string): string } {
  let usage: Usage = { promptTokens: null, completionTokens: null };
  const fromAnthropic =
    upstream === 'anthropic'
      ? anthropicStreamToOpenAI({
          model,
          created: Math.floor(Date.now() / 1000),
          includeUsage: true,
        })
      : null;
  const emit = (chunks: OAChunk[], step: StreamStep): void => {
    for (const c of chunks) {
      if (c.usage) {
        usage = {
          promptTokens: num(c.usage.prompt_tokens),
          completionTokens: num(c.usage.completion_tokens),
          ...speculativeOf(c.usage as Json),
        };
      }
      if (hasToken(c)) step.token = true;
      step.frames.push(...t.push(c));
    }
  };
  return {
    push(events, step) {
      for (const ev of events) {
        if (ev.data === '[DONE]') continue;
        const j = parse(ev.data);
        const err = streamErrorOf(j);
        if (err) throw err;
        if (!j) continue;
        emit(fromAnthropic ? fromAnthropic.push(j as AEvent) : [j as OAChunk], step);
      }
    },
    end(step) {
      if (fromAnthropic) emit(fromAnthropic.end(), step);
      step.token = true;
      step.frames.push(...t.end());
    },
    usage: () => usage,
    errorFrame: (message) => t.error(message),
  };
}
