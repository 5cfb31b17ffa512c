// An Anthropic-format client talking to an OpenAI-format provider: request out, response back (the
// stream has its own module). Tool calls, tool results, system blocks, stops, thinking and usage survive.
import { assistantMessageFromBlocks, parseArguments } from './openaiToAnthropic.ts';
import { anthropicUsage } from './usage.ts';
import type {
  ABlock,
  AMessagesRequest,
  AMessagesResponse,
  Json,
  OAChatRequest,
  OAChatResponse,
  OAMessage,
} from './shapes.ts';

function effortFor(budget: number): 'low' | 'medium' | 'high' {
  return budget < 4096 ? 'low' : budget < 16384 ? 'medium' : 'high';
}

function resultText(content: string | ABlock[] | undefined): string {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .filter((b): b is Extract<ABlock, { type: 'text' }> => b.type === 'text')
    .map((b) => b.text)
    .join('');
}

function imagePart(b: Extract<ABlock, { type: 'image' }>): Json {
  const url =
    b.source.type === 'base64'
      ? `data:${b.source.media_type};base64,${b.source.data}`
      : b.source.url;
  return { type: 'image_url', image_url: { url } };
}

// Claude Code's per-request billing line (its `cch=` changes every call): for Anthropic only, and as the
// first system text it would defeat a provider's prefix caching. Dropped.
const BILLING_HEADER = 'x-anthropic-billing-header:';

function withoutBillingHeader(text: string): string {
  if (!text.startsWith(BILLING_HEADER)) return text;
  const nl = text.indexOf('\n');
  return nl < 0 ? '' : text.slice(nl + 1).replace(/^\n+/, '');
}

function systemText(content: string | ReadonlyArray<{ type: string; text?: unknown }>): string {
  if (typeof content === 'string') return withoutBillingHeader(content);
  return content
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => withoutBillingHeader(b.text as string))
    .filter((t) => t !== '')
    .join('\n\n');
}

export function anthropicRequestToOpenAI(req: AMessagesRequest, model: string): OAChatRequest {
  const messages: OAMessage[] = [];
  if (req.system !== undefined) {
    const text = systemText(req.system);
    if (text !== '') messages.push({ role: 'system', content: text });
  }
  for (const m of req.messages) {
    if (m.role === 'system') {
      // OpenAI takes system messages anywhere in the conversation: kept in place.
      const text = systemText(m.content);
      if (text !== '') messages.push({ role: 'system', content: text });
      continue;
    }
    if (typeof m.content === 'string') {
      messages.push({ role: m.role, content: m.content });
      continue;
    }
    if (m.role === 'user') {
      // Tool results become `tool` messages, which OpenAI wants right after the assistant's calls.
      const parts: Json[] = [];
      for (const b of m.content) {
        if (b.type === 'tool_result') {
          const text = resultText(b.content);
          messages.push({
            role: 'tool',
            tool_call_id: b.tool_use_id,
            content: b.is_error ? `Error: ${text}` : text,
          });
        } else if (b.type === 'text') parts.push({ type: 'text', text: b.text });
        else if (b.type === 'image') parts.push(imagePart(b));
      }
      if (parts.length) {
        const allText = parts.every((p) => p.type === 'text');
        messages.push({
          role: 'user',
          content: allText ? parts.map((p) => String(p.text)).join('') : parts,
        });
      }
    } else {
      messages.push(assistantMessageFromBlocks(m.content));
    }
  }
  const out: OAChatRequest = { model, messages, max_tokens: req.max_tokens };
  if (req.temperature !== undefined) out.temperature = req.temperature;
  if (req.top_p !== undefined) out.top_p = req.top_p;
  if (req.top_k !== undefined) out.top_k = req.top_k;
  if (req.stop_sequences?.length) out.stop = req.stop_sequences;
  if (req.stream !== undefined) out.stream = req.stream;
  if (req.stream) out.stream_options = { include_usage: true };
  if (req.metadata?.user_id !== undefined) out.user = req.metadata.user_id;
  if (req.tools?.length) {
    out.tools = req.tools.map((t) => ({
      type: 'function' as const,
      function: {
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        parameters: t.input_schema ?? { type: 'object', properties: {} },
      },
    }));
  }
  const tc = req.tool_choice;
  if (tc) {
    if (tc.type === 'auto') out.tool_choice = 'auto';
    else if (tc.type === 'any') out.tool_choice = 'required';
    else if (tc.type === 'none') out.tool_choice = 'none';
    else if (tc.type === 'tool' && tc.name)
      out.tool_choice = { type: 'function', function: { name: tc.name } };
    if (tc.disable_parallel_tool_use) out.parallel_tool_calls = false;
  }
  if (req.thinking?.type === 'enabled')
    out.reasoning_effort = effortFor(req.thinking.budget_tokens);
  else if (req.thinking?.type !== 'disabled') {
    // Claude Code's `output_config.effort` (with adaptive thinking) where no budget says otherwise.
    const effort = String((req.output_config as { effort?: unknown } | undefined)?.effort);
    if (Object.hasOwn(EFFORTS, effort)) out.reasoning_effort = EFFORTS[effort];
  }
  return out;
}

const EFFORTS: Record<string, 'low' | 'medium' | 'high'> = {
  low: 'low',
  medium: 'medium',
  high: 'high',
  max: 'high',
};

export function openAIFinishToAnthropic(reason: string | null | undefined): string | null {
  switch (reason) {
    case null:
    case undefined:
      return null;
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

export function messageId(id: string | undefined): string {
  return `msg_${(id ?? 'orchard').replace(/^chatcmpl-/, '')}`;
}

export function openAIResponseToAnthropic(r: OAChatResponse, model: string): AMessagesResponse {
  const choice = r.choices?.[0];
  const m = choice?.message ?? { role: 'assistant' as const };
  const content: ABlock[] = [];
  const reasoning = m.reasoning_content ?? m.reasoning;
  if (reasoning) content.push({ type: 'thinking', thinking: reasoning, signature: '' });
  const text = typeof m.content === 'string' ? m.content : '';
  if (text !== '') content.push({ type: 'text', text });
  for (const tc of m.tool_calls ?? []) {
    content.push({
      type: 'tool_use',
      id: tc.id ?? '',
      name: tc.function?.name ?? '',
      input: parseArguments(tc.function?.arguments),
    });
  }
  return {
    id: messageId(r.id),
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: openAIFinishToAnthropic(choice?.finish_reason ?? 'stop'),
    stop_sequence: null,
    usage: anthropicUsage(r.usage),
  };
}
