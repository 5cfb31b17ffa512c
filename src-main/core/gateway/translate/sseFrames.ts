// Server-sent event framings the gateway writes: OpenAI's data-only frames with [DONE], and
// Anthropic's named events. The parser for reading streams is shared (#shared/sse.ts).
import type { Protocol } from '../errors.ts';

export function openAIFrame(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

export const OPENAI_DONE = 'data: [DONE]\n\n';

export function anthropicFrame(event: { type: string; [k: string]: unknown }): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** The event that ends a stream which broke after its first token, in the client's protocol. */
export function errorFrame(protocol: Protocol, message: string): string {
  return protocol === 'anthropic'
    ? anthropicFrame({ type: 'error', error: { type: 'api_error', message } })
    : openAIFrame({
        error: { message, type: 'server_error', param: null, code: 'upstream_interrupted' },
      });
}
