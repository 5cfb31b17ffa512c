// The seam for a client API other than chat completions and messages (Responses, Ollama): a front-end
// claims its paths, turns a request into a chat request for the usual routing, and the chat answer back.
import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayError } from './errors.ts';
import type { Framer } from './translate/framer.ts';
import type { Json, OAChatRequest, OAChatResponse, OAChunk } from './translate/shapes.ts';
import type { ProviderFormat } from './types.ts';
import type { Usage } from './translate/usage.ts';

/** One request as a front-end sees it, after the guard (Host, CORS, API key) let it through. */
export interface FrontCall {
  method: string;
  /** The path without trailing slashes; `url` keeps the query. */
  path: string;
  url: URL;
  headers: IncomingHttpHeaders;
  requestId: string;
  /** The body as JSON: size-capped, and a 400 for bad JSON, over-deep nesting or numbers out of range. */
  json(): Promise<unknown>;
  /** Names the model on the audit row (before validation, so a refused body still shows it). */
  noteModel(name: string): void;
}

/**
 * What a front-end does with a request: answer it itself (JSON, or a stream of its own frames such as
 * Ollama's pull progress), or ask for a generation.
 */
export type FrontAnswer =
  | { kind: 'json'; status: number; body: unknown }
  | { kind: 'generate'; generation: Generation }
  | { kind: 'stream'; contentType: string; frames: AsyncGenerator<string> }
  | { kind: 'embeddings'; embeddings: Embeddings };

/** An embeddings request in OpenAI's shape (routed like /v1/embeddings), its JSON answer turned back. */
export interface Embeddings {
  /** The name the client asked for: the routing key, and the model on the audit row. */
  model: string;
  body: Record<string, unknown>;
  fromJson(json: Json): unknown;
}

export interface FrontEnd {
  /** True for the paths this API serves; asked before the gateway's own /v1 endpoints. */
  claims(path: string): boolean;
  /** A failure in this API's own error shape; the HTTP status stays the error's. */
  errorBody(e: GatewayError): Record<string, unknown>;
  /** Throws a GatewayError for anything the client should get as an error. */
  route(call: FrontCall): Promise<FrontAnswer>;
}

/**
 * One generation, routed, fallen back and audited exactly like a chat completion. The gateway sends
 * `chat` (model replaced by each backend's) to every chat-speaking backend, and hands the answer back
 * here: `fromChat` for a JSON reply, a fresh `openStream()` per attempt for a streamed one.
 */
export interface Generation {
  /** The name the client asked for: the routing key, and the model on the audit row. */
  model: string;
  stream: boolean;
  chat: OAChatRequest;
  /** The client's reply to a chat completion (an Anthropic backend's reply arrives translated). */
  fromChat(res: OAChatResponse): unknown;
  /** Chat chunks in, client frames out; called once per attempt, so state starts afresh. */
  openStream(): ChatStreamTranslator;
  /** The streamed reply's content type; server-sent events unless said otherwise. */
  contentType?: string;
  /** A provider format that speaks this API itself, which then gets the request untranslated. */
  native?(format: ProviderFormat): NativeRoute | null;
}

export interface ChatStreamTranslator {
  /** Frames (already serialised) for one chat chunk; usage-only chunks arrive too. */
  push(chunk: OAChunk): string[];
  /** Frames after the last chunk, once, when the backend's stream ended cleanly. */
  end(): string[];
  /** The frame that ends a stream which broke after its first token. */
  error(message: string): string;
}

/** A backend that speaks the client's API: the body goes as it is, the answer comes back as it is. */
export interface NativeRoute {
  /** Path under the provider's base URL, e.g. '/responses'. */
  path: string;
  /** The body to send; the gateway sets `model` to the backend's name. */
  body: Json;
  /** The reply as the client gets it (possibly rewritten), with the audit row's token counts. */
  fromJson(json: Json): { body: unknown; usage: Usage };
  /** A framer over the backend's SSE, fresh per attempt, with the frame for a broken stream. */
  framer(): Framer & { errorFrame(message: string): string };
}
