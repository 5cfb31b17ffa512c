// One attempt at one backend: build the upstream request (translating formats when the backend speaks
// the other protocol), send it, and turn the answer into an Outcome; a stream becomes client frames.
import { GatewayError, upstreamError, type Protocol } from '../errors.ts';
import type { Generation } from '../frontEnd.ts';
import type { Backend } from '../routing/explain.ts';
import {
  anthropicRequestToOpenAI,
  openAIResponseToAnthropic,
} from '../translate/anthropicToOpenai.ts';
import {
  anthropicResponseToOpenAI,
  openAIRequestToAnthropic,
} from '../translate/openaiToAnthropic.ts';
import type {
  AMessagesRequest,
  AMessagesResponse,
  Json,
  OAChatRequest,
  OAChatResponse,
} from '../translate/shapes.ts';
import { errorFrame } from '../translate/sseFrames.ts';
import { parse } from '../translate/framer.ts';
import { chatToFrontFramer } from '../translate/frontFramer.ts';
import { frameSteps, streamOf, type Translation } from '../translate/streamFrames.ts';
import { usageOf } from '../translate/usage.ts';
import { ENDPOINT_PATHS, PROTOCOL_OF, type Endpoint } from './endpoints.ts';
import { errorOutcome, type Outcome } from './outcome.ts';
import { withProfile } from './profileBody.ts';
import { addProviderHeaders, providerPath, providerUrl } from './providerRequest.ts';
import { providerFetch } from './providerFetch.ts';

/** The sidecar, reached through the supervisor (secret added, fails at once when the child dies). */
export interface LocalBackend {
  request(path: string, init?: RequestInit): Promise<Response>;
}

export interface AttemptInput {
  endpoint: Endpoint;
  body: Json;
  backend: Backend;
  headers: Record<string, string | undefined>;
  signal: AbortSignal;
  local: LocalBackend;
  providerKey: (id: string) => string | null;
  /** A front-end's generation: `body` is its chat request, and the answer goes back through it. */
  front?: Generation;
  /** A front-end's own shape for a JSON answer in the endpoint's protocol (Ollama's /api/embed). */
  reply?: (json: Json) => unknown;
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

  // A provider that speaks the front-end's own API gets the client's request as it is.
  const native = b.kind === 'provider' ? (inp.front?.native?.(b.provider.format) ?? null) : null;
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
    const mapped = native
      ? { path: native.path, translation: 'none' as const }
      : providerPath(b.provider.format, inp.endpoint);
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
    url = providerUrl(b.provider, mapped.path);
    body = { ...(native ? native.body : inp.body), model: b.model };
    if (translation === 'anthropic->openai')
      body = anthropicRequestToOpenAI(body as unknown as AMessagesRequest, b.model) as Json;
    if (translation === 'openai->anthropic')
      body = openAIRequestToAnthropic(body as unknown as OAChatRequest, b.model) as unknown as Json;
    // Decrypted here, for this call only.
    const key = inp.providerKey(b.provider.id);
    addProviderHeaders(headers, b.provider.format, key, inp.headers, translation);
  }
  const upstreamFormat: Protocol = b.kind === 'local' ? clientProtocol : b.provider.format;
  if (stream && upstreamFormat === 'openai' && !native) {
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
    res =
      b.kind === 'local'
        ? await inp.local.request(url, init)
        : await providerFetch(b.provider.name, url, init);
  } catch (e) {
    if (inp.signal.aborted) throw e;
    // A redirect elsewhere is the provider's configuration, not an outage: try the next backend, but
    // leave its circuit alone.
    if (e instanceof GatewayError) return { kind: 'failed', breaker: false, error: e };
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
    return errorOutcome(b.kind, res.status, err);
  }

  if (stream) {
    if (!res.body)
      return {
        kind: 'failed',
        breaker: true,
        error: new GatewayError(502, 'upstream_empty', 'upstream sent no body'),
      };
    if (inp.front) {
      const framer = native
        ? native.framer()
        : chatToFrontFramer(inp.front.openStream(), upstreamFormat, inp.body.model as string);
      return {
        kind: 'stream',
        frames: frameSteps(res.body, framer),
        usage: () => framer.usage(),
        errorFrame: (m) => framer.errorFrame(m),
      };
    }
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
  if (inp.reply) {
    const body = JSON.stringify(inp.reply(json));
    return { kind: 'json', status: 200, body, usage: usageOf(clientProtocol, json) };
  }
  if (inp.front) {
    if (native) {
      const out = native.fromJson(json);
      return { kind: 'json', status: res.status, body: JSON.stringify(out.body), usage: out.usage };
    }
    const chatJson =
      upstreamFormat === 'anthropic'
        ? anthropicResponseToOpenAI(
            json as unknown as AMessagesResponse,
            requested,
            Math.floor(Date.now() / 1000),
          )
        : (json as unknown as OAChatResponse);
    return {
      kind: 'json',
      status: 200,
      body: JSON.stringify(inp.front.fromChat(chatJson)),
      usage: usageOf('openai', chatJson as unknown as Json),
    };
  }
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
