// Ollama's /api/chat and /api/generate bodies as one chat-completions request: options become sampling
// fields, format a response_format, think the reasoning controls, images image_url parts, tools as they are.
import { GatewayError } from '../errors.ts';
import { orchardExtensions } from '../translate/extensions.ts';
import type { Json, OAChatRequest, OAMessage, OAToolCall } from '../translate/shapes.ts';
import type { ChatRequest, GenerateRequest, Message, Options } from './protocol.ts';

function invalid(message: string, param: string): GatewayError {
  return new GatewayError(400, 'invalid_request', message, param);
}

/** Sampling fields from Ollama's options; num_ctx is a load option (keepAlive.ts), not a request field. */
export function samplingFields(o: Options | null | undefined): Partial<OAChatRequest> {
  if (!o) return {};
  const out: Json = {};
  if (o.temperature != null) out.temperature = o.temperature;
  if (o.top_p != null) out.top_p = o.top_p;
  if (o.top_k != null) out.top_k = o.top_k;
  if (o.min_p != null) out.min_p = o.min_p;
  // -1 (no limit) and -2 (fill the window) are Ollama's words for "no max_tokens".
  if (o.num_predict != null && o.num_predict > 0) out.max_tokens = o.num_predict;
  if (o.stop != null) out.stop = o.stop;
  // A negative seed is Ollama's "random"; the sidecar reads it the same way.
  if (o.seed != null) out.seed = o.seed;
  // 1.0 is "off" in both; 0 would be refused by the sidecar, and Ollama treats it as off too.
  if (o.repeat_penalty != null && o.repeat_penalty > 0) out.repetition_penalty = o.repeat_penalty;
  if (o.presence_penalty != null) out.presence_penalty = o.presence_penalty;
  if (o.frequency_penalty != null) out.frequency_penalty = o.frequency_penalty;
  return out as Partial<OAChatRequest>;
}

/** "json" → any JSON object; a schema → that schema, enforced by constrained decoding. */
export function responseFormat(format: ChatRequest['format']): Json | undefined {
  if (format == null || format === '') return undefined;
  if (format === 'json') return { type: 'json_object' };
  if (typeof format === 'string')
    throw invalid(`format must be "json" or a JSON schema, not '${format}'`, 'format');
  return { type: 'json_schema', json_schema: { name: 'format', schema: format, strict: true } };
}

const EFFORTS = new Set(['low', 'medium', 'high']);

/** think as the chat template's enable_thinking, and an effort as reasoning_effort. */
export function thinkControls(think: ChatRequest['think']): Partial<OAChatRequest> {
  if (think == null) return {};
  if (typeof think === 'boolean') return { chat_template_kwargs: { enable_thinking: think } };
  if (!EFFORTS.has(think))
    throw invalid(`think must be true, false, "low", "medium" or "high", not '${think}'`, 'think');
  return {
    chat_template_kwargs: { enable_thinking: true },
    reasoning_effort: think as 'low' | 'medium' | 'high',
  };
}

/** The media type of base64 image data, from its first bytes; PNG when unknown. */
function imageType(b64: string): string {
  if (b64.startsWith('/9j/')) return 'image/jpeg';
  if (b64.startsWith('R0lGOD')) return 'image/gif';
  if (b64.startsWith('UklGR')) return 'image/webp';
  return 'image/png';
}

/** Text plus images as content parts (a data URL each); plain text when there are no images. */
export function withImages(
  text: string,
  images: readonly string[] | null | undefined,
): OAMessage['content'] {
  if (!images?.length) return text;
  const url = (b64: string) =>
    b64.startsWith('data:') ? b64 : `data:${imageType(b64)};base64,${b64}`;
  return [
    ...(text ? [{ type: 'text', text }] : []),
    ...images.map((b64) => ({ type: 'image_url', image_url: { url: url(b64) } })),
  ];
}

function argumentsText(args: Json | string | null | undefined): string {
  if (args == null) return '{}';
  return typeof args === 'string' ? args : JSON.stringify(args);
}

/**
 * Ollama's messages as chat messages. Ollama names a tool result by the tool's name only; each gets the id
 * of the earliest unanswered call of that name (else the earliest unanswered call) so templates that pair
 * results with calls see matching ids.
 */
export function chatMessages(messages: readonly Message[]): OAMessage[] {
  let pending: Array<{ id: string; name: string }> = [];
  let seq = 0;
  return messages.map((m): OAMessage => {
    const content = m.content ?? '';
    switch (m.role) {
      case 'assistant': {
        const calls: OAToolCall[] = (m.tool_calls ?? []).map((tc) => ({
          id: tc.id || `call_${seq++}`,
          type: 'function',
          function: { name: tc.function.name, arguments: argumentsText(tc.function.arguments) },
        }));
        pending = calls.map((c) => ({ id: c.id!, name: c.function!.name! }));
        return {
          role: 'assistant',
          content,
          ...(calls.length ? { tool_calls: calls } : {}),
          ...(m.thinking ? { reasoning_content: m.thinking } : {}),
        };
      }
      case 'tool': {
        let id = m.tool_call_id ?? undefined;
        let at = id
          ? pending.findIndex((p) => p.id === id)
          : pending.findIndex((p) => p.name === m.tool_name);
        if (!id && at < 0 && pending.length) at = 0;
        if (at >= 0) {
          id ??= pending[at]!.id;
          pending = pending.filter((_, i) => i !== at);
        }
        return {
          role: 'tool',
          content,
          tool_call_id: id ?? `call_${seq++}`,
          ...(m.tool_name ? { name: m.tool_name } : {}),
        };
      }
      default:
        return { role: m.role, content: withImages(content, m.images) };
    }
  });
}

function common(req: ChatRequest | GenerateRequest): Partial<OAChatRequest> {
  const rf = responseFormat(req.format);
  return {
    stream: req.stream !== false,
    ...samplingFields(req.options),
    ...(rf ? { response_format: rf } : {}),
    ...thinkControls(req.think),
    // Orchard's extensions, at the top level or (where Ollama clients put tuning) among the options.
    ...orchardExtensions(req.options as Json | null | undefined),
    ...orchardExtensions(req as Json),
  };
}

/** /api/chat → chat completions; `model` is the name the client gave (the routing key). */
export function chatToChat(req: ChatRequest, model: string): OAChatRequest {
  const tools = (req.tools ?? [])
    .filter((t) => (t.type ?? 'function') === 'function')
    .map((t) => ({
      type: 'function' as const,
      function: {
        name: t.function.name,
        ...(t.function.description != null ? { description: t.function.description } : {}),
        ...(t.function.parameters != null ? { parameters: t.function.parameters } : {}),
      },
    }));
  return {
    model,
    messages: chatMessages(req.messages ?? []),
    ...common(req),
    ...(tools.length ? { tools } : {}),
  };
}

/** /api/generate → chat completions: the system text and the prompt as two messages. */
export function generateToChat(req: GenerateRequest, model: string): OAChatRequest {
  if (req.suffix)
    throw invalid(
      `'${model}' does not support insert (suffix): Orchard generates chat only`,
      'suffix',
    );
  const messages: OAMessage[] = [];
  if (req.system) messages.push({ role: 'system', content: req.system });
  messages.push({ role: 'user', content: withImages(req.prompt ?? '', req.images) });
  return { model, messages, ...common(req) };
}
