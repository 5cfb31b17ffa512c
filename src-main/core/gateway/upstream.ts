// One attempt at one backend: build the upstream request (translating formats when the backend speaks
// the other protocol), send it, and classify the outcome as served, a client error, or a failure that
// may fall back. Streams are turned into client-protocol frames chunk by chunk; nothing is buffered whole.
import { applyProfile, type ProfileParams } from '../profiles/index.ts';
import type { Backend } from './explain.ts';
import { GatewayError, upstreamError, type Protocol } from './errors.ts';
import { anthropicFrame, OPENAI_DONE, openAIFrame, sseParser, type SseEvent } from './sse.ts';
import {
  anthropicRequestToOpenAI,
  openAIResponseToAnthropic,
  openAIStreamToAnthropic,
} from './translate/anthropicToOpenai.ts';
import {
  anthropicResponseToOpenAI,
  anthropicStreamToOpenAI,
  openAIRequestToAnthropic,
} from './translate/openaiToAnthropic.ts';
import type {
  AEvent,
  AMessagesRequest,
  AMessagesResponse,
  Json,
  OAChatRequest,
  OAChatResponse,
  OAChunk,
} from './translate/shapes.ts';

export type Endpoint = 'chat' | 'completions' | 'embeddings' | 'messages' | 'count_tokens';

export const ENDPOINT_PATHS: Record<Endpoint, string> = {
  chat: '/v1/chat/completions',
  completions: '/v1/completions',
  embeddings: '/v1/embeddings',
  messages: '/v1/messages',
  count_tokens: '/v1/messages/count_tokens',
};

export const PROTOCOL_OF: Record<Endpoint, Protocol> = {
  chat: 'openai',
  completions: 'openai',
  embeddings: 'openai',
  messages: 'anthropic',
  count_tokens: 'anthropic',
};

/** The sidecar, reached through the supervisor (secret added, fails at once when the child dies). */
export interface LocalBackend {
  request(path: string, init?: RequestInit): Promise<Response>;
}

export interface Usage {
  promptTokens: number | null;
  completionTokens: number | null;
}

export type Outcome =
  | {
      kind: 'failed';
      error: GatewayError;
      /** counts against the provider's circuit */ breaker: boolean;
    }
  | { kind: 'refused'; error: GatewayError } // the backend rejected the request itself: no fallback
  | { kind: 'json'; status: number; body: string; usage: Usage }
  | {
      kind: 'stream';
      frames: FrameSource;
      usage: () => Usage;
      errorFrame: (message: string) => string;
    };

/** The frames of a stream, step by step; a rejected step is a broken or failed upstream stream. */
export interface FrameSource {
  next(): Promise<IteratorResult<StreamStep, void>>;
}

export interface StreamStep {
  frames: string[];
  /** True once a step carries generated output (the point after which no fallback may happen). */
  token: boolean;
}

type Translation = 'none' | 'openai->anthropic' | 'anthropic->openai';

export interface AttemptInput {
  endpoint: Endpoint;
  body: Json;
  backend: Backend;
  headers: Record<string, string | undefined>;
  signal: AbortSignal;
  local: LocalBackend;
  providerKey: (id: string) => string | null;
}

function isAnthropicBase(url: string): string {
  return /\/v1$/.test(url) ? url : `${url}/v1`;
}

/** Per backend format, the path an endpoint maps to, or null when that backend cannot serve it. */
function providerPath(
  format: Protocol,
  endpoint: Endpoint,
): { path: string; translation: Translation } | null {
  if (format === 'openai') {
    if (endpoint === 'chat') return { path: '/chat/completions', translation: 'none' };
    if (endpoint === 'completions') return { path: '/completions', translation: 'none' };
    if (endpoint === 'embeddings') return { path: '/embeddings', translation: 'none' };
    if (endpoint === 'messages')
      return { path: '/chat/completions', translation: 'anthropic->openai' };
    return null;
  }
  if (endpoint === 'messages') return { path: '/messages', translation: 'none' };
  if (endpoint === 'count_tokens') return { path: '/messages/count_tokens', translation: 'none' };
  if (endpoint === 'chat') return { path: '/messages', translation: 'openai->anthropic' };
  return null;
}

function withProfile(
  endpoint: Endpoint,
  body: Json,
  model: string,
  params: Record<string, unknown>,
): Json {
  if (Object.keys(params).length === 0) return { ...body, model };
  const profile = { model, params: params as ProfileParams };
  if (PROTOCOL_OF[endpoint] === 'openai') return applyProfile(profile, body);
  // Anthropic bodies keep `system` and `stop_sequences` at the top level; map them through the same rules.
  const asOpenAI = applyProfile(profile, { ...body, stop: body.stop_sequences, messages: [] });
  const out: Json = { ...asOpenAI, messages: body.messages };
  delete out.stop;
  if (asOpenAI.stop !== undefined) out.stop_sequences = asOpenAI.stop;
  const system = params.system_prompt;
  if (body.system === undefined && typeof system === 'string' && system !== '') out.system = system;
  delete out.chat_template_kwargs;
  if (endpoint === 'count_tokens')
    for (const k of Object.keys(out))
      if (!['model', 'messages', 'system', 'tools'].includes(k)) delete out[k];
  return out;
}

function localFailure(status: number): boolean {
  // Cannot load / does not fit / not there / queue full / sidecar trouble: another backend may serve.
  return status === 404 || status === 408 || status === 409 || status === 429 || status >= 500;
}

function providerFailure(status: number): { fallback: boolean; breaker: boolean } {
  if (status === 408 || status === 429 || status >= 500) return { fallback: true, breaker: true };
  if (status === 401 || status === 403 || status === 404) return { fallback: true, breaker: false };
  return { fallback: false, breaker: false };
}

async function boundedText(res: Response, limit = 64 * 1024): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    size += value.byteLength;
    if (size >= limit) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(parts).toString('utf8');
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function usageOf(protocol: Protocol, body: Json): Usage {
  const u = (body.usage ?? {}) as Json;
  if (protocol === 'anthropic') {
    return {
      promptTokens: num(u.input_tokens) ?? num(body.input_tokens),
      completionTokens: num(u.output_tokens),
    };
  }
  return { promptTokens: num(u.prompt_tokens), completionTokens: num(u.completion_tokens) };
}

const hasToken = (c: OAChunk): boolean =>
  (c.choices ?? []).some((ch) => {
    const d = ch.delta ?? {};
    return Boolean(
      d.content || d.reasoning_content || d.reasoning || d.tool_calls?.length || ch.finish_reason,
    );
  });

/** Turns upstream SSE events into client frames, synchronously; `end` runs once when the body ends. */
interface Framer {
  push(events: SseEvent[], step: StreamStep): void;
  end(step: StreamStep): void;
}

/**
 * Steps of a stream: one upstream read, its complete events through the framer, one step out. A single
 * await per upstream chunk: this loop runs for every token, so it is kept free of generator layers.
 */
function frameSteps(body: ReadableStream<Uint8Array>, framer: Framer): FrameSource {
  const reader = body.getReader();
  const parser = sseParser();
  let ended = false;
  const read = async (): Promise<IteratorResult<StreamStep, void>> => {
    for (;;) {
      if (ended) return { done: true, value: undefined };
      const { done, value } = await reader.read();
      const step: StreamStep = { frames: [], token: false };
      if (done) {
        ended = true;
        const rest = parser.end();
        if (rest.length) framer.push(rest, step);
        framer.end(step);
        reader.releaseLock();
        return step.frames.length || step.token
          ? { done: false, value: step }
          : { done: true, value: undefined };
      }
      const events = parser.push(value);
      if (!events.length) continue;
      framer.push(events, step);
      return { done: false, value: step };
    }
  };
  return {
    async next() {
      try {
        return await read();
      } catch (e) {
        // An error event or a broken body ends the stream here: release the upstream connection too.
        ended = true;
        void reader.cancel().catch(() => {});
        throw e;
      }
    },
  };
}

function parse(data: string): Json | null {
  try {
    return JSON.parse(data) as Json;
  } catch {
    return null;
  }
}

// Once a token has passed, a chunk is only parsed when its text may hold usage or an error; the rest
// (nearly every chunk) is forwarded as it came.
const MAY_MATTER = /"usage"\s*:\s*\{|"error"/;

/** Frames of a stream in the client's protocol, whatever the backend spoke. */
function streamOf(
  body: ReadableStream<Uint8Array>,
  clientProtocol: Protocol,
  translation: Translation,
  model: string,
  clientWantsUsage: boolean,
): { frames: FrameSource; usage: () => Usage } {
  let usage: Usage = { promptTokens: null, completionTokens: null };
  const upstreamError = (j: Json | null): GatewayError | null => {
    if (!j) return null;
    const e = (j.type === 'error' ? j.error : j.error) as
      { message?: string; type?: string; code?: string } | undefined;
    if (!e || (j.type !== 'error' && !('error' in j))) return null;
    return new GatewayError(
      502,
      String(e.code ?? e.type ?? 'upstream_error'),
      String(e.message ?? 'upstream stream error'),
    );
  };

  const openaiPassthrough = (): Framer => {
    let tokenSeen = false;
    return {
      push(events, step) {
        for (const ev of events) {
          if (ev.data === '[DONE]') {
            step.frames.push(OPENAI_DONE);
            continue;
          }
          if (tokenSeen && !MAY_MATTER.test(ev.data)) {
            step.frames.push(`data: ${ev.data}\n\n`);
            continue;
          }
          const c = parse(ev.data) as OAChunk | null;
          const err = upstreamError(c as Json | null);
          if (err) throw err;
          if (!c) continue;
          if (c.usage) usage = usageOf('openai', c as Json);
          if (hasToken(c)) step.token = tokenSeen = true;
          if (c.usage && !clientWantsUsage) {
            // We asked for usage on the caller's behalf; they did not, so it is not shown to them.
            if (!c.choices?.length) continue;
            const { usage: _u, ...rest } = c;
            step.frames.push(openAIFrame(rest));
          } else {
            step.frames.push(`data: ${ev.data}\n\n`);
          }
        }
      },
      end() {},
    };
  };

  const anthropicPassthrough = (): Framer => {
    let tokenSeen = false;
    return {
      push(events, step) {
        for (const ev of events) {
          if (tokenSeen && ev.event === 'content_block_delta' && !MAY_MATTER.test(ev.data)) {
            step.frames.push(`event: ${ev.event}\ndata: ${ev.data}\n\n`);
            continue;
          }
          const e = parse(ev.data);
          if (!e) continue;
          const err = upstreamError(e);
          if (err) throw err;
          if (e.type === 'message_start') {
            const u = ((e.message as Json | undefined)?.usage ?? {}) as Json;
            usage = { promptTokens: num(u.input_tokens), completionTokens: num(u.output_tokens) };
          } else if (e.type === 'message_delta') {
            const u = (e.usage ?? {}) as Json;
            usage = {
              promptTokens: num(u.input_tokens) ?? usage.promptTokens,
              completionTokens: num(u.output_tokens) ?? usage.completionTokens,
            };
          }
          if (
            e.type === 'content_block_delta' ||
            e.type === 'message_delta' ||
            e.type === 'message_stop'
          )
            step.token = tokenSeen = true;
          step.frames.push(`event: ${ev.event ?? String(e.type)}\ndata: ${ev.data}\n\n`);
        }
      },
      end() {},
    };
  };

  const toAnthropic = (): Framer => {
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
          const err = upstreamError(c);
          if (err) throw err;
          if (c) emit(t.push(c as OAChunk), step);
        }
      },
      end(step) {
        step.token = true;
        emit(t.end(), step);
        usage = t.usage();
      },
    };
  };

  const toOpenAI = (): Framer => {
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
          const err = upstreamError(e);
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
    };
  };

  const framer =
    translation === 'anthropic->openai'
      ? toAnthropic()
      : translation === 'openai->anthropic'
        ? toOpenAI()
        : clientProtocol === 'anthropic'
          ? anthropicPassthrough()
          : openaiPassthrough();
  return { frames: frameSteps(body, framer), usage: () => usage };
}

export function errorFrame(protocol: Protocol, message: string): string {
  return protocol === 'anthropic'
    ? anthropicFrame({ type: 'error', error: { type: 'api_error', message } })
    : openAIFrame({
        error: { message, type: 'server_error', param: null, code: 'upstream_interrupted' },
      });
}

/** Sends the request to one backend; never throws for upstream trouble, returns an Outcome instead. */
export async function attempt(inp: AttemptInput): Promise<Outcome> {
  const clientProtocol = PROTOCOL_OF[inp.endpoint];
  const b = inp.backend;
  const stream =
    inp.body.stream === true &&
    (inp.endpoint === 'chat' || inp.endpoint === 'completions' || inp.endpoint === 'messages');
  const clientWantsUsage =
    clientProtocol === 'anthropic' ||
    (inp.body.stream_options as Json | undefined)?.include_usage === true;

  let url: string;
  let translation: Translation = 'none';
  let body: Json;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
  };
  if (b.kind === 'local') {
    url = ENDPOINT_PATHS[inp.endpoint];
    body = withProfile(inp.endpoint, inp.body, b.model, b.params);
  } else {
    const mapped = providerPath(b.provider.format, inp.endpoint);
    if (!mapped) {
      return {
        kind: 'failed',
        breaker: false,
        error: new GatewayError(
          404,
          'unsupported_endpoint',
          `provider '${b.provider.name}' (${b.provider.format} format) does not serve ${ENDPOINT_PATHS[inp.endpoint]}`,
        ),
      };
    }
    translation = mapped.translation;
    const base =
      b.provider.format === 'anthropic' ? isAnthropicBase(b.provider.baseUrl) : b.provider.baseUrl;
    url = base + mapped.path;
    body = { ...inp.body, model: b.model };
    if (translation === 'anthropic->openai')
      body = anthropicRequestToOpenAI(body as unknown as AMessagesRequest, b.model) as Json;
    if (translation === 'openai->anthropic')
      body = openAIRequestToAnthropic(body as unknown as OAChatRequest, b.model) as unknown as Json;
    // Decrypted here, for this call only.
    const key = inp.providerKey(b.provider.id);
    if (b.provider.format === 'anthropic') {
      headers['anthropic-version'] = inp.headers['anthropic-version'] ?? '2023-06-01';
      if (inp.headers['anthropic-beta'] && translation === 'none')
        headers['anthropic-beta'] = inp.headers['anthropic-beta'];
      if (key) headers['x-api-key'] = key;
    } else if (key) {
      headers.authorization = `Bearer ${key}`;
    }
  }
  const upstreamFormat: Protocol = b.kind === 'local' ? clientProtocol : b.provider.format;
  if (stream && upstreamFormat === 'openai') {
    // Ask for usage so the audit row has token counts; it is hidden from a caller that did not ask.
    body.stream_options = {
      ...((body.stream_options as Json | undefined) ?? {}),
      include_usage: true,
    };
  }
  if (b.kind === 'local' && clientProtocol === 'anthropic' && inp.headers['anthropic-version']) {
    headers['anthropic-version'] = inp.headers['anthropic-version'];
  }

  let res: Response;
  try {
    const init: RequestInit = {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: inp.signal,
    };
    res = b.kind === 'local' ? await inp.local.request(url, init) : await fetch(url, init);
  } catch (e) {
    if (inp.signal.aborted) throw e;
    const what = b.kind === 'local' ? 'the local sidecar' : `provider '${b.provider.name}'`;
    return {
      kind: 'failed',
      breaker: true,
      error: new GatewayError(
        503,
        'backend_unreachable',
        `${what} could not be reached: ${(e as Error).message}`,
      ),
    };
  }

  if (!res.ok) {
    const err = upstreamError(res.status, await boundedText(res).catch(() => ''));
    if (b.kind === 'local')
      return localFailure(res.status)
        ? { kind: 'failed', breaker: false, error: err }
        : { kind: 'refused', error: err };
    const f = providerFailure(res.status);
    return f.fallback
      ? { kind: 'failed', breaker: f.breaker, error: err }
      : { kind: 'refused', error: err };
  }

  if (stream) {
    if (!res.body)
      return {
        kind: 'failed',
        breaker: true,
        error: new GatewayError(502, 'upstream_empty', 'upstream sent no body'),
      };
    const s = streamOf(
      res.body,
      clientProtocol,
      translation,
      inp.body.model as string,
      clientWantsUsage,
    );
    return {
      kind: 'stream',
      frames: s.frames,
      usage: s.usage,
      errorFrame: (m) => errorFrame(clientProtocol, m),
    };
  }

  const text = await res.text();
  const json = parse(text);
  if (!json)
    return {
      kind: 'failed',
      breaker: true,
      error: new GatewayError(502, 'upstream_invalid', 'upstream sent a response that is not JSON'),
    };
  const requested = inp.body.model as string;
  if (translation === 'anthropic->openai') {
    const out = openAIResponseToAnthropic(json as unknown as OAChatResponse, requested);
    return {
      kind: 'json',
      status: 200,
      body: JSON.stringify(out),
      usage: usageOf('anthropic', out as unknown as Json),
    };
  }
  if (translation === 'openai->anthropic') {
    const out = anthropicResponseToOpenAI(
      json as unknown as AMessagesResponse,
      requested,
      Math.floor(Date.now() / 1000),
    );
    return {
      kind: 'json',
      status: 200,
      body: JSON.stringify(out),
      usage: usageOf('openai', out as unknown as Json),
    };
  }
  return { kind: 'json', status: res.status, body: text, usage: usageOf(clientProtocol, json) };
}
