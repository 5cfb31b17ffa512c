// Sends a chat to the gateway's /v1/chat/completions (the same path external clients use) and
// streams the answer back; aborting the signal closes the request, which cancels generation upstream.
import type { ContentPart } from './images.ts';
import { readSse, type StreamEvent } from './stream.ts';

/** A message as sent: plain turns, an assistant turn that called tools, or a tool's result. */
export type ChatRequestMessage =
  | { role: 'system' | 'assistant'; content: string }
  | { role: 'user'; content: string | ContentPart[] }
  | {
      role: 'assistant';
      content: string;
      tool_calls: Array<{
        id: string;
        type: 'function';
        function: { name: string; arguments: string };
      }>;
    }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ChatRequest {
  model: string;
  messages: ChatRequestMessage[];
  params: Record<string, unknown>;
  /** OpenAI function tools (MCP tools in chat); absent when none are offered. */
  tools?: Array<{
    type: 'function';
    function: { name: string; description: string; parameters: Record<string, unknown> };
  }>;
}

export class GatewayError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'GatewayError';
    this.status = status;
  }
}

export interface ChatStream {
  /** Route the gateway took (x-orchard-route), e.g. "local:org/model". */
  route: string | null;
  events: AsyncGenerator<StreamEvent>;
}

export async function streamChat(
  origin: string,
  token: string | null,
  req: ChatRequest,
  signal: AbortSignal,
  fetchImpl: typeof fetch = fetch,
): Promise<ChatStream> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'text/event-stream',
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetchImpl(`${origin}/v1/chat/completions`, {
    method: 'POST',
    headers,
    signal,
    body: JSON.stringify({
      ...req.params,
      model: req.model,
      messages: req.messages,
      ...(req.tools?.length ? { tools: req.tools } : {}),
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  if (!res.ok || !res.body) {
    let message = `the gateway answered HTTP ${res.status}`;
    try {
      const body = (await res.json()) as { error?: { message?: string } };
      if (body.error?.message) message = body.error.message;
    } catch {
      // Not an error object: keep the status line.
    }
    throw new GatewayError(res.status, message);
  }
  return { route: res.headers.get('x-orchard-route'), events: readSse(res.body) };
}
