// Chat chunks as the Responses event stream: response.created and .in_progress, then per output item its
// added / delta / done events, then response.completed (or .incomplete, .failed), all with sequence_number.
import type { ChatStreamTranslator } from '../frontEnd.ts';
import type { Json, OAChunk } from '../translate/shapes.ts';
import {
  callItem,
  envelope,
  itemPrefix,
  messageItem,
  newId,
  reasoningItem,
  responsesUsage,
  statusOf,
  type ResponseContext,
} from './object.ts';

type Open =
  | { kind: 'reasoning'; id: string; index: number; text: string }
  | { kind: 'message'; id: string; index: number; text: string }
  | {
      kind: 'call';
      id: string;
      index: number;
      chatIndex: number;
      callId: string;
      name: string;
      args: string;
      custom: boolean;
    };

export function sseEvent(type: string, seq: number, body: Json): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq, ...body })}\n\n`;
}

/**
 * A translator for one attempt. `onFinal` receives the finished response object (completed, incomplete
 * or failed) once, for storing.
 */
export function responsesStream(
  ctx: ResponseContext,
  onFinal: (response: Json) => void,
): ChatStreamTranslator {
  let seq = 0;
  let started = false;
  let finished = false;
  let open: Open | null = null;
  let finish: string | null = null;
  let usage: Json | null = null;
  const output: Json[] = [];

  const ev = (frames: string[], type: string, body: Json) =>
    frames.push(sseEvent(type, seq++, body));

  const start = (frames: string[]) => {
    if (started) return;
    started = true;
    const r = envelope(ctx, 'in_progress', []);
    ev(frames, 'response.created', { response: r });
    ev(frames, 'response.in_progress', { response: r });
  };

  const close = (frames: string[], status: string) => {
    const o = open;
    if (!o) return;
    open = null;
    const at = { item_id: o.id, output_index: o.index };
    let item: Json;
    if (o.kind === 'reasoning') {
      item = reasoningItem(ctx, o.id, o.text);
      if (ctx.summary) {
        const part = { type: 'summary_text', text: o.text };
        ev(frames, 'response.reasoning_summary_text.done', {
          ...at,
          summary_index: 0,
          text: o.text,
        });
        ev(frames, 'response.reasoning_summary_part.done', { ...at, summary_index: 0, part });
      } else {
        const part = { type: 'reasoning_text', text: o.text };
        ev(frames, 'response.reasoning_text.done', { ...at, content_index: 0, text: o.text });
        ev(frames, 'response.content_part.done', { ...at, content_index: 0, part });
      }
    } else if (o.kind === 'message') {
      item = messageItem(o.id, o.text, status);
      const part = { type: 'output_text', text: o.text, annotations: [], logprobs: [] };
      ev(frames, 'response.output_text.done', {
        ...at,
        content_index: 0,
        text: o.text,
        logprobs: [],
      });
      ev(frames, 'response.content_part.done', { ...at, content_index: 0, part });
    } else {
      item = callItem(ctx, o.id, o.callId, o.name, o.args, 'completed');
      if (item.type === 'custom_tool_call') {
        // The model wrote {"input": "..."}; the client gets the input alone, in one piece.
        const input = item.input as string;
        if (input) ev(frames, 'response.custom_tool_call_input.delta', { ...at, delta: input });
        ev(frames, 'response.custom_tool_call_input.done', { ...at, input });
      } else {
        ev(frames, 'response.function_call_arguments.done', {
          ...at,
          name: item.name,
          arguments: o.args,
        });
      }
    }
    output.push(item);
    ev(frames, 'response.output_item.done', { output_index: o.index, item });
  };

  const openItem = (frames: string[], o: Open, item: Json) => {
    close(frames, 'completed');
    o.index = output.length; // after the previous item was closed into `output`
    open = o;
    ev(frames, 'response.output_item.added', { output_index: o.index, item });
  };

  const reasoningDelta = (frames: string[], delta: string) => {
    if (open?.kind !== 'reasoning') {
      const id = newId(itemPrefix('reasoning'));
      const o: Open = { kind: 'reasoning', id, index: output.length, text: '' };
      openItem(frames, o, { id, type: 'reasoning', summary: [] });
      const at = { item_id: id, output_index: o.index };
      if (ctx.summary)
        ev(frames, 'response.reasoning_summary_part.added', {
          ...at,
          summary_index: 0,
          part: { type: 'summary_text', text: '' },
        });
      else
        ev(frames, 'response.content_part.added', {
          ...at,
          content_index: 0,
          part: { type: 'reasoning_text', text: '' },
        });
    }
    const o = open as Extract<Open, { kind: 'reasoning' }>;
    o.text += delta;
    const at = { item_id: o.id, output_index: o.index };
    if (ctx.summary)
      ev(frames, 'response.reasoning_summary_text.delta', { ...at, summary_index: 0, delta });
    else ev(frames, 'response.reasoning_text.delta', { ...at, content_index: 0, delta });
  };

  const textDelta = (frames: string[], delta: string) => {
    if (open?.kind !== 'message') {
      const id = newId(itemPrefix('message'));
      const o: Open = { kind: 'message', id, index: output.length, text: '' };
      openItem(frames, o, {
        id,
        type: 'message',
        status: 'in_progress',
        role: 'assistant',
        content: [],
      });
      ev(frames, 'response.content_part.added', {
        item_id: id,
        output_index: o.index,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      });
    }
    const o = open as Extract<Open, { kind: 'message' }>;
    if (!delta) return;
    o.text += delta;
    ev(frames, 'response.output_text.delta', {
      item_id: o.id,
      output_index: o.index,
      content_index: 0,
      delta,
      logprobs: [],
    });
  };

  const callDelta = (frames: string[], tc: Json) => {
    const chatIndex = typeof tc.index === 'number' ? tc.index : 0;
    const fn = (tc.function ?? {}) as { name?: string; arguments?: string };
    if (open?.kind !== 'call' || open.chatIndex !== chatIndex) {
      const name = fn.name ?? '';
      const custom = ctx.names.ref(name).kind === 'custom';
      const id = newId(itemPrefix(custom ? 'custom' : 'call'));
      const callId = typeof tc.id === 'string' && tc.id ? tc.id : newId('call');
      const o: Open = {
        kind: 'call',
        id,
        index: output.length,
        chatIndex,
        callId,
        name,
        args: '',
        custom,
      };
      const added = callItem(ctx, id, callId, name, '', 'in_progress');
      if (custom) added.input = '';
      openItem(frames, o, added);
    }
    const o = open as Extract<Open, { kind: 'call' }>;
    const delta = fn.arguments ?? '';
    if (!delta) return;
    o.args += delta;
    if (!o.custom)
      ev(frames, 'response.function_call_arguments.delta', {
        item_id: o.id,
        output_index: o.index,
        delta,
      });
  };

  const final = (frames: string[], type: string, response: Json) => {
    finished = true;
    ev(frames, type, { response });
    onFinal(response);
  };

  return {
    push(c: OAChunk) {
      const frames: string[] = [];
      start(frames);
      if (c.usage) usage = responsesUsage(c.usage as Json);
      const choice = c.choices?.[0];
      if (!choice) return frames;
      const d = choice.delta ?? {};
      const reasoning = d.reasoning_content ?? d.reasoning;
      if (reasoning) reasoningDelta(frames, reasoning);
      if (d.content) textDelta(frames, d.content);
      for (const tc of d.tool_calls ?? []) callDelta(frames, tc as Json);
      if (choice.finish_reason) finish = choice.finish_reason;
      return frames;
    },
    end() {
      const frames: string[] = [];
      if (finished) return frames;
      start(frames);
      const { status, incomplete_details } = statusOf(finish);
      close(frames, status);
      if (output.length === 0) {
        // Nothing was generated: still one (empty) message, as the JSON reply has.
        textDelta(frames, '');
        close(frames, status);
      }
      const response = envelope(ctx, status, output, { usage, incomplete_details });
      final(
        frames,
        status === 'completed' ? 'response.completed' : 'response.incomplete',
        response,
      );
      return frames;
    },
    error(message) {
      if (finished) return '';
      const frames: string[] = [];
      start(frames);
      const response = envelope(ctx, 'failed', output, {
        usage,
        error: { code: 'server_error', message },
      });
      final(frames, 'response.failed', response);
      return frames.join('');
    },
  };
}
