// Tools in chat, the pure part: MCP tools as OpenAI function tools, streamed tool-call pieces put
// together, and stored messages (calls and results) turned back into the request's history.
import type { ChatMessage } from '#shared/contract/conversations.ts';
import type { McpTool } from '#shared/contract/mcp.ts';
import type { ChatRequest, ChatRequestMessage } from './gateway.ts';
import { withFiles } from './files.ts';
import { userContent } from './images.ts';

export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as the model wrote them (JSON text, possibly malformed). */
  arguments: string;
}

export function toolSpecs(tools: McpTool[]): NonNullable<ChatRequest['tools']> {
  return tools.map((t) => ({
    type: 'function',
    function: { name: t.name, description: t.description, parameters: t.parameters },
  }));
}

/** Collects the `toolCall` stream events of one answer into whole calls, in index order. */
export class ToolCallCollector {
  #calls = new Map<number, ToolCall>();

  push(ev: { index: number; id?: string; name?: string; arguments?: string }): void {
    const c = this.#calls.get(ev.index) ?? { id: '', name: '', arguments: '' };
    if (ev.id) c.id = ev.id;
    if (ev.name) c.name += ev.name;
    if (ev.arguments) c.arguments += ev.arguments;
    this.#calls.set(ev.index, c);
  }

  calls(): ToolCall[] {
    return [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([i, c]) => ({ ...c, id: c.id || `call_${i}` }))
      .filter((c) => c.name !== '');
  }
}

/** The arguments as an object for the server, or why they are not one. */
export function parseArguments(
  text: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v))
      return { ok: true, value: v as Record<string, unknown> };
    return { ok: false, error: 'the arguments are not a JSON object' };
  } catch {
    return { ok: false, error: 'the arguments are not valid JSON' };
  }
}

/** The stored conversation as the request's history: tool calls and results included. */
export function historyMessages(messages: ChatMessage[]): ChatRequestMessage[] {
  const out: ChatRequestMessage[] = [];
  for (const m of messages) {
    if (m.role === 'user')
      out.push({
        role: 'user',
        content: userContent(withFiles(m.content, m.meta?.files), m.meta?.images),
      });
    else if (m.role === 'assistant') {
      const calls = m.meta?.toolCalls;
      out.push(
        calls?.length
          ? {
              role: 'assistant',
              content: m.content,
              tool_calls: calls.map((c) => ({
                id: c.id,
                type: 'function',
                function: { name: c.name, arguments: c.arguments },
              })),
            }
          : { role: 'assistant', content: m.content },
      );
    } else if (m.role === 'tool' && m.meta?.tool)
      out.push({ role: 'tool', tool_call_id: m.meta.tool.callId, content: m.content });
  }
  return out;
}
