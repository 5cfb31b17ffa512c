// An OpenAI-format client talking to an Anthropic-format provider: request out, response back (the stream
// has its own module). Sampling values are copied only when present (temperature 0 stays 0), never `||`.
import type {
  ABlock,
  AMessage,
  AMessagesRequest,
  AMessagesResponse,
  Json,
  OAChatRequest,
  OAChatResponse,
  OAMessage,
  OAToolCall,
} from './shapes.ts';

/** Anthropic requires max_tokens; OpenAI does not. Used only when the caller gave none. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

const EFFORT_BUDGET: Record<string, number> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 24576,
};

function textOf(content: OAMessage['content']): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content
    .filter((p) => p.type === 'text')
    .map((p) => String(p.text ?? ''))
    .join('');
}

function userBlocks(content: OAMessage['content']): ABlock[] {
  if (content == null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const out: ABlock[] = [];
  for (const part of content) {
    if (part.type === 'text') out.push({ type: 'text', text: String(part.text ?? '') });
    else if (part.type === 'image_url') {
      const url = String((part.image_url as Json | undefined)?.url ?? '');
      const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
      out.push(
        m
          ? { type: 'image', source: { type: 'base64', media_type: m[1]!, data: m[2]! } }
          : { type: 'image', source: { type: 'url', url } },
      );
    }
  }
  return out;
}

export function parseArguments(raw: string | undefined): unknown {
  if (raw === undefined || raw === '') return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    // Keep what the model produced rather than dropping the call.
    return { _raw_arguments: raw };
  }
}

function push(messages: AMessage[], role: 'user' | 'assistant', blocks: ABlock[]): void {
  if (blocks.length === 0) return;
  const last = messages[messages.length - 1];
  // Anthropic wants alternating turns; consecutive same-role turns are merged.
  if (last && last.role === role && Array.isArray(last.content)) last.content.push(...blocks);
  else messages.push({ role, content: blocks });
}

export function openAIRequestToAnthropic(req: OAChatRequest, model: string): AMessagesRequest {
  const system: string[] = [];
  const messages: AMessage[] = [];
  for (const m of req.messages) {
    if (m.role === 'system' || m.role === 'developer') {
      system.push(textOf(m.content));
    } else if (m.role === 'user') {
      push(messages, 'user', userBlocks(m.content));
    } else if (m.role === 'tool') {
      push(messages, 'user', [
        { type: 'tool_result', tool_use_id: m.tool_call_id ?? '', content: textOf(m.content) },
      ]);
    } else {
      const blocks: ABlock[] = [];
      const reasoning = m.reasoning_content ?? m.reasoning;
      if (reasoning) blocks.push({ type: 'thinking', thinking: reasoning, signature: '' });
      const text = textOf(m.content);
      if (text !== '') blocks.push({ type: 'text', text });
      for (const tc of m.tool_calls ?? []) {
        blocks.push({
          type: 'tool_use',
          id: tc.id ?? '',
          name: tc.function?.name ?? '',
          input: parseArguments(tc.function?.arguments),
        });
      }
      push(messages, 'assistant', blocks);
    }
  }
  const out: AMessagesRequest = {
    model,
    messages,
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
  };
  if (system.length) out.system = system.join('\n\n');
  if (req.temperature !== undefined) out.temperature = req.temperature;
  if (req.top_p !== undefined) out.top_p = req.top_p;
  if (req.top_k !== undefined) out.top_k = req.top_k;
  if (req.stop != null) out.stop_sequences = typeof req.stop === 'string' ? [req.stop] : req.stop;
  if (req.stream !== undefined) out.stream = req.stream;
  if (req.user !== undefined) out.metadata = { user_id: req.user };
  if (req.tools?.length) {
    out.tools = req.tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description !== undefined ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: 'object', properties: {} },
    }));
  }
  const disableParallel =
    req.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  if (req.tool_choice !== undefined) {
    const tc = req.tool_choice;
    if (tc === 'auto') out.tool_choice = { type: 'auto', ...disableParallel };
    else if (tc === 'none') out.tool_choice = { type: 'none' };
    else if (tc === 'required') out.tool_choice = { type: 'any', ...disableParallel };
    else out.tool_choice = { type: 'tool', name: tc.function.name, ...disableParallel };
  } else if (req.parallel_tool_calls === false && out.tools) {
    out.tool_choice = { type: 'auto', disable_parallel_tool_use: true };
  }
  if (req.reasoning_effort !== undefined) {
    out.thinking = { type: 'enabled', budget_tokens: EFFORT_BUDGET[req.reasoning_effort] ?? 8192 };
  }
  return out;
}

export function anthropicStopToOpenAI(reason: string | null | undefined): string | null {
  switch (reason) {
    case null:
    case undefined:
      return null;
    case 'max_tokens':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop'; // end_turn, stop_sequence, pause_turn
  }
}

/** An assistant turn's Anthropic blocks as one OpenAI assistant message (history and responses alike). */
export function assistantMessageFromBlocks(blocks: readonly ABlock[]): OAMessage {
  let content = '';
  let reasoning = '';
  const toolCalls: OAToolCall[] = [];
  for (const b of blocks) {
    if (b.type === 'text') content += b.text;
    else if (b.type === 'thinking') reasoning += b.thinking;
    else if (b.type === 'tool_use') {
      toolCalls.push({
        id: b.id,
        type: 'function',
        function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) },
      });
    }
  }
  const message: OAMessage = {
    role: 'assistant',
    content: content === '' && toolCalls.length ? null : content,
  };
  if (reasoning) message.reasoning_content = reasoning;
  if (toolCalls.length) message.tool_calls = toolCalls;
  return message;
}

export function anthropicResponseToOpenAI(
  r: AMessagesResponse,
  model: string,
  created: number,
): OAChatResponse {
  const message = assistantMessageFromBlocks(r.content ?? []);
  const input = r.usage?.input_tokens ?? 0;
  const output = r.usage?.output_tokens ?? 0;
  return {
    id: `chatcmpl-${r.id}`,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message, finish_reason: anthropicStopToOpenAI(r.stop_reason) }],
    usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
  };
}
