// One answer streamed from the gateway into the chat's draft (paced, the first pieces drawn at once),
// and the figures and facts kept with it once it ended.
import type { MessageMeta } from '#shared/contract/conversations.ts';
import { flushSync } from 'svelte';
import { figures } from './figures.ts';
import { GatewayError, streamChat, type ChatRequest } from './gateway.ts';
import { pacer } from './pacer.ts';
import { ToolCallCollector, type ToolCall } from './tools.ts';

export interface Draft {
  reasoning: string;
  content: string;
  startedAt: number;
  firstToken: number | null;
  firstContent: number | null;
  route: string | null;
  model: string;
}

export interface StreamedAnswer {
  /** Pieces of text received: the token count when the server sent no usage. */
  pieces: number;
  usageTokens: number | null;
  spec: { proposed: number; accepted: number } | null;
  finishReason: string | undefined;
  /** The error the stream or the request ended with (not a stop by the user), else null. */
  failure: string | null;
  calls: ToolCall[];
}

/** Streams `req` into `d` (the state's reactive draft) until it ends, fails or `signal` aborts. */
export async function streamAnswer(
  origin: string,
  token: string | null,
  req: ChatRequest,
  signal: AbortSignal,
  d: Draft,
): Promise<StreamedAnswer> {
  const collector = new ToolCallCollector();
  const got: StreamedAnswer = {
    pieces: 0,
    usageTokens: null,
    spec: null,
    finishReason: undefined,
    failure: null,
    calls: [],
  };
  // Text reaches the page through the pacer, each batch drawn before the next is taken.
  const text = pacer<{ kind: 'reasoning' | 'content'; text: string }>((batch) => {
    for (const piece of batch) d[piece.kind] += piece.text;
    flushSync();
  });
  try {
    const stream = await streamChat(origin, token, req, signal);
    d.route = stream.route;
    for await (const ev of stream.events) {
      if (ev.kind === 'reasoning' || ev.kind === 'content') {
        const t = performance.now();
        // The first piece of the reasoning and of the answer is drawn at once, whatever the pace.
        const first = ev.kind === 'content' ? d.firstContent === null : d.firstToken === null;
        d.firstToken ??= t;
        if (ev.kind === 'content') d.firstContent ??= t;
        got.pieces++;
        text.push(ev);
        if (first) text.flush();
      } else if (ev.kind === 'toolCall') collector.push(ev);
      else if (ev.kind === 'usage') {
        got.usageTokens = ev.completionTokens;
        got.spec = ev.spec ?? null;
      } else if (ev.kind === 'finish') got.finishReason = ev.reason;
      else if (ev.kind === 'error') got.failure = ev.message;
    }
  } catch (e) {
    if (!signal.aborted)
      got.failure = e instanceof GatewayError || e instanceof Error ? e.message : String(e);
  } finally {
    text.flush();
  }
  got.calls = collector.calls();
  return got;
}

/** The assistant message's meta: speed figures, route, finish reason, stop, speculation, tool calls. */
export function answerMeta(
  d: Draft,
  got: StreamedAnswer,
  o: { end: number; stopped: boolean; calls: ToolCall[] },
): MessageMeta {
  const f = figures({
    start: d.startedAt,
    firstToken: d.firstToken,
    firstContent: d.firstContent,
    end: o.end,
    tokens: got.usageTokens ?? got.pieces,
  });
  const meta: MessageMeta = { model: d.model, ...f };
  if (d.route) meta.route = d.route;
  if (got.finishReason) meta.finishReason = got.finishReason;
  if (o.stopped) meta.stopped = true;
  if (got.spec) {
    meta.specProposed = got.spec.proposed;
    meta.specAccepted = got.spec.accepted;
  }
  if (o.calls.length) meta.toolCalls = o.calls;
  return meta;
}
