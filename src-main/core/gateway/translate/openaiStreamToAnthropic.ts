// An OpenAI-format backend's stream, turned into the Anthropic events an Anthropic-format client expects:
// the chunk translator, and the framer that feeds it upstream SSE events on the way to the client.
import { messageId, openAIFinishToAnthropic } from './anthropicToOpenai.ts';
import { parse, streamErrorOf, type Framer, type StreamStep } from './framer.ts';
import type { AEvent, Json, OAChunk } from './shapes.ts';
import { anthropicFrame } from './sseFrames.ts';
import { anthropicUsage, type Usage } from './usage.ts';

type BlockKind = 'text' | 'thinking' | 'tool_use';

/** Turns OpenAI chunks into the Anthropic event sequence Claude Code and the SDK expect. */
export function openAIStreamToAnthropic(opts: { model: string }) {
  let started = false;
  let finished = false;
  let index = -1;
  let open: BlockKind | null = null;
  let openTool = -1; // OpenAI tool_calls index of the open tool_use block
  let stopReason: string | null = null;
  let inputTokens = 0;
  let cachedTokens = 0;
  let outputTokens = 0;
  let id = messageId(undefined);

  // Anthropic's split of the prompt: cached tokens are cache reads, input_tokens the rest.
  const split = (output: number) =>
    anthropicUsage(
      { prompt_tokens: inputTokens, prompt_tokens_details: { cached_tokens: cachedTokens } },
      output,
    );
  const start = (): AEvent[] => {
    if (started) return [];
    started = true;
    return [
      {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model: opts.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: split(0),
        },
      },
    ];
  };
  const close = (): AEvent[] => {
    if (open === null) return [];
    open = null;
    return [{ type: 'content_block_stop', index }];
  };
  const openBlock = (kind: BlockKind, block: Json): AEvent[] => {
    const out = close();
    index++;
    open = kind;
    out.push({ type: 'content_block_start', index, content_block: block });
    return out;
  };

  return {
    push(c: OAChunk): AEvent[] {
      if (c.id && !started) id = messageId(c.id);
      if (c.usage) {
        inputTokens = c.usage.prompt_tokens ?? inputTokens;
        cachedTokens = c.usage.prompt_tokens_details?.cached_tokens ?? cachedTokens;
        outputTokens = c.usage.completion_tokens ?? outputTokens;
      }
      const out: AEvent[] = [];
      const choice = c.choices?.[0];
      if (!choice) return out; // a usage-only chunk
      out.push(...start());
      const d = choice.delta ?? {};
      const reasoning = d.reasoning_content ?? d.reasoning;
      if (reasoning) {
        if (open !== 'thinking')
          out.push(...openBlock('thinking', { type: 'thinking', thinking: '', signature: '' }));
        out.push({
          type: 'content_block_delta',
          index,
          delta: { type: 'thinking_delta', thinking: reasoning },
        });
      }
      if (d.content) {
        if (open !== 'text') out.push(...openBlock('text', { type: 'text', text: '' }));
        out.push({
          type: 'content_block_delta',
          index,
          delta: { type: 'text_delta', text: d.content },
        });
      }
      for (const tc of d.tool_calls ?? []) {
        const ti = tc.index ?? 0;
        if (open !== 'tool_use' || ti !== openTool) {
          openTool = ti;
          out.push(
            ...openBlock('tool_use', {
              type: 'tool_use',
              id: tc.id ?? `toolu_${ti}`,
              name: tc.function?.name ?? '',
              input: {},
            }),
          );
        }
        const args = tc.function?.arguments;
        if (args)
          out.push({
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: args },
          });
      }
      if (choice.finish_reason) stopReason = openAIFinishToAnthropic(choice.finish_reason);
      return out;
    },
    end(): AEvent[] {
      if (finished) return [];
      finished = true;
      const out = [...start(), ...close()];
      out.push({
        type: 'message_delta',
        delta: { stop_reason: stopReason ?? 'end_turn', stop_sequence: null },
        usage: split(outputTokens),
      });
      out.push({ type: 'message_stop' });
      return out;
    },
    usage: () => ({ promptTokens: inputTokens, completionTokens: outputTokens }),
  };
}

/** Frames for an Anthropic-format client whose request went to an OpenAI-format backend. */
export function toAnthropicFramer(model: string): Framer {
  let usage: Usage = { promptTokens: null, completionTokens: null };
  const t = openAIStreamToAnthropic({ model });
  const emit = (events: AEvent[], step: StreamStep) => {
    for (const e of events) {
      if (e.type === 'content_block_delta' || e.type === 'message_delta') step.token = true;
      step.frames.push(anthropicFrame(e));
    }
  };
  return {
    push(events, step) {
      for (const ev of events) {
        if (ev.data === '[DONE]') continue;
        const c = parse(ev.data);
        const err = streamErrorOf(c);
        if (err) throw err;
        if (c) emit(t.push(c as OAChunk), step);
      }
    },
    end(step) {
      step.token = true;
      emit(t.end(), step);
      usage = t.usage();
    },
    usage: () => usage,
  };
}
