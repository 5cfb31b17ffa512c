// An Anthropic-format backend's stream, turned into the OpenAI chunks an OpenAI-format client expects:
// the event translator, and the framer that feeds it upstream SSE events on the way to the client.
import { hasToken, parse, streamErrorOf, type Framer, type StreamStep } from './framer.ts';
import { anthropicStopToOpenAI } from './openaiToAnthropic.ts';
import type { ABlock, AEvent, AMessagesResponse, Json, OAChunk } from './shapes.ts';
import { OPENAI_DONE, openAIFrame } from './sseFrames.ts';
import type { Usage } from './usage.ts';

/** Turns Anthropic stream events into OpenAI chunks, one event at a time. */
export function anthropicStreamToOpenAI(opts: {
  model: string;
  created: number;
  includeUsage: boolean;
}) {
  let id = 'chatcmpl-orchard';
  let inputTokens = 0;
  let outputTokens = 0;
  let finish: string | null = null;
  let toolIndex = -1;
  let done = false;
  // Anthropic block index → OpenAI tool_calls index, for tool_use blocks only.
  const toolOf = new Map<number, number>();
  const chunk = (
    delta: NonNullable<OAChunk['choices']>[number]['delta'],
    finishReason: string | null = null,
  ): OAChunk => ({
    id,
    object: 'chat.completion.chunk',
    created: opts.created,
    model: opts.model,
    choices: [{ index: 0, delta: delta ?? {}, finish_reason: finishReason }],
  });
  const finishChunks = (): OAChunk[] => {
    if (done) return [];
    done = true;
    const out = [chunk({}, finish ?? 'stop')];
    if (opts.includeUsage) {
      out.push({
        id,
        object: 'chat.completion.chunk',
        created: opts.created,
        model: opts.model,
        choices: [],
        usage: {
          prompt_tokens: inputTokens,
          completion_tokens: outputTokens,
          total_tokens: inputTokens + outputTokens,
        },
      });
    }
    return out;
  };
  return {
    push(e: AEvent): OAChunk[] {
      switch (e.type) {
        case 'message_start': {
          const m = (e.message ?? {}) as Partial<AMessagesResponse>;
          if (m.id) id = `chatcmpl-${m.id}`;
          inputTokens = m.usage?.input_tokens ?? 0;
          outputTokens = m.usage?.output_tokens ?? 0;
          return [chunk({ role: 'assistant', content: '' })];
        }
        case 'content_block_start': {
          const b = e.content_block as ABlock | undefined;
          if (b?.type !== 'tool_use') return [];
          toolIndex++;
          toolOf.set(Number(e.index), toolIndex);
          return [
            chunk({
              tool_calls: [
                {
                  index: toolIndex,
                  id: b.id,
                  type: 'function',
                  function: { name: b.name, arguments: '' },
                },
              ],
            }),
          ];
        }
        case 'content_block_delta': {
          const d = (e.delta ?? {}) as Json;
          if (d.type === 'text_delta') return [chunk({ content: String(d.text ?? '') })];
          if (d.type === 'thinking_delta')
            return [chunk({ reasoning_content: String(d.thinking ?? '') })];
          if (d.type === 'input_json_delta') {
            const index = toolOf.get(Number(e.index)) ?? 0;
            return [
              chunk({
                tool_calls: [{ index, function: { arguments: String(d.partial_json ?? '') } }],
              }),
            ];
          }
          return [];
        }
        case 'message_delta': {
          const d = (e.delta ?? {}) as Json;
          if (d.stop_reason !== undefined)
            finish = anthropicStopToOpenAI(d.stop_reason as string | null);
          const u = (e.usage ?? {}) as { input_tokens?: number; output_tokens?: number };
          if (u.output_tokens !== undefined) outputTokens = u.output_tokens;
          if (u.input_tokens !== undefined) inputTokens = u.input_tokens;
          return [];
        }
        case 'message_stop':
          return finishChunks();
        default:
          return []; // ping, content_block_stop, signature deltas
      }
    },
    end: finishChunks,
    usage: () => ({ promptTokens: inputTokens, completionTokens: outputTokens }),
  };
}

/** Frames for an OpenAI-format client whose request went to an Anthropic-format backend. */
export function toOpenAIFramer(model: string, clientWantsUsage: boolean): Framer {
  let usage: Usage = { promptTokens: null, completionTokens: null };
  const t = anthropicStreamToOpenAI({
    model,
    created: Math.floor(Date.now() / 1000),
    includeUsage: clientWantsUsage,
  });
  const emit = (chunks: OAChunk[], step: StreamStep) => {
    for (const c of chunks) {
      if (hasToken(c)) step.token = true;
      step.frames.push(openAIFrame(c));
    }
  };
  return {
    push(events, step) {
      for (const ev of events) {
        const e = parse(ev.data);
        const err = streamErrorOf(e);
        if (err) throw err;
        if (e) emit(t.push(e as AEvent), step);
      }
    },
    end(step) {
      step.token = true;
      emit(t.end(), step);
      step.frames.push(OPENAI_DONE);
      usage = t.usage();
    },
    usage: () => usage,
  };
}
