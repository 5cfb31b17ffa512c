// A Responses request as a chat-completions request: instructions and items become messages (calls and
// their outputs as tool_calls and tool messages, reasoning as reasoning_content), options map across.
import { GatewayError } from '../errors.ts';
import { orchardExtensions } from '../translate/extensions.ts';
import type { Json, OAChatRequest, OAMessage } from '../translate/shapes.ts';
import type { Item, ResponsesRequest } from './protocol.ts';
import { chatToolChoice, chatTools, type ToolNames } from './tools.ts';

const EFFORTS = new Set(['minimal', 'low', 'medium', 'high']);

/** Text of a content list: input_text, output_text and text parts; other parts are left out. */
export function partsText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as Json[])
    .filter((p) => typeof p.text === 'string' && p.type !== 'refusal')
    .map((p) => p.text as string)
    .join('');
}

/** A user message's content: plain text, or chat parts when an image is among them. */
function userContent(content: unknown): OAMessage['content'] {
  if (typeof content === 'string' || !Array.isArray(content)) return partsText(content);
  const parts: Json[] = [];
  for (const p of content as Json[]) {
    if (typeof p.text === 'string' && (p.type === 'input_text' || p.type === 'output_text'))
      parts.push({ type: 'text', text: p.text });
    else if (p.type === 'input_image') {
      if (typeof p.image_url !== 'string' || p.image_url === '')
        throw new GatewayError(
          400,
          'unsupported_input',
          'input_image needs an image_url (a URL or a data: URL); file_id is not supported here.',
          'input',
        );
      parts.push({
        type: 'image_url',
        image_url: { url: p.image_url, ...(p.detail ? { detail: p.detail } : {}) },
      });
    }
    // input_file, input_audio: nothing here can read them; left out.
  }
  if (parts.every((p) => p.type === 'text')) return parts.map((p) => p.text as string).join('');
  return parts;
}

function reasoningText(item: Item): string {
  const summary = Array.isArray(item.summary) ? partsText(item.summary) : '';
  const content = Array.isArray(item.content) ? partsText(item.content) : '';
  return content || summary;
}

/** The messages for a run of items (history first, then this request's input). */
export function itemsToMessages(items: readonly Item[], names: ToolNames): OAMessage[] {
  const out: OAMessage[] = [];
  let reasoning = '';
  // The assistant turn that calls and text attach to: the last message, while it is the assistant's.
  const assistant = (): OAMessage => {
    const last = out[out.length - 1];
    if (last?.role === 'assistant') {
      if (reasoning) last.reasoning_content = (last.reasoning_content ?? '') + reasoning;
      reasoning = '';
      return last;
    }
    const m: OAMessage = { role: 'assistant', content: null };
    if (reasoning) m.reasoning_content = reasoning;
    reasoning = '';
    out.push(m);
    return m;
  };
  const call = (id: string, name: string, args: string) => {
    const m = assistant();
    (m.tool_calls ??= []).push({ id, type: 'function', function: { name, arguments: args } });
  };
  for (const item of items) {
    const type = item.type ?? 'message';
    if (type === 'message') {
      const role = item.role as string;
      if (role === 'assistant') {
        const m = assistant();
        const text = partsText(item.content);
        if (text) m.content = (typeof m.content === 'string' ? m.content : '') + text;
      } else if (role === 'system' || role === 'developer') {
        // Templates want one system message first; later ones are passed on as user turns (below).
        out.push({ role: 'system', content: partsText(item.content) });
      } else {
        out.push({ role: 'user', content: userContent(item.content) });
      }
    } else if (type === 'function_call') {
      const name = names.chatName(item.name as string, item.namespace as string | undefined);
      call(item.call_id as string, name, item.arguments as string);
    } else if (type === 'custom_tool_call') {
      const name = names.chatName(item.name as string, item.namespace as string | undefined);
      call(item.call_id as string, name, JSON.stringify({ input: item.input }));
    } else if (type === 'function_call_output' || type === 'custom_tool_call_output') {
      out.push({
        role: 'tool',
        tool_call_id: item.call_id as string,
        content: partsText(item.output),
      });
    } else if (type === 'reasoning') {
      reasoning += reasoningText(item);
    }
    // Other items (web_search_call, mcp_list_tools, …) record hosted tools this backend never ran.
  }
  return leadingSystem(out);
}

/**
 * One system message at the start: the leading system turns are joined; a system turn later in the
 * conversation becomes a user turn in place, which keeps the prompt's prefix (and its cache) stable.
 */
function leadingSystem(messages: OAMessage[]): OAMessage[] {
  const head: string[] = [];
  let i = 0;
  for (; i < messages.length && messages[i]!.role === 'system'; i++)
    head.push(String(messages[i]!.content ?? ''));
  const rest = messages
    .slice(i)
    .map((m): OAMessage => (m.role === 'system' ? { role: 'user', content: m.content ?? '' } : m));
  const text = head.filter((t) => t !== '').join('\n\n');
  return text ? [{ role: 'system', content: text }, ...rest] : rest;
}

export interface ChatPlan {
  chat: OAChatRequest;
  names: ToolNames;
}

/**
 * The chat request for a Responses request. `history` is the conversation before it (from
 * previous_response_id), with item references already resolved; instructions are this request's only.
 */
export function toChat(
  req: ResponsesRequest,
  history: readonly Item[],
  input: readonly Item[],
): ChatPlan {
  const { tools, names } = chatTools(req);
  const items: Item[] = [];
  if (typeof req.instructions === 'string' && req.instructions !== '')
    items.push({ type: 'message', role: 'system', content: req.instructions });
  else if (Array.isArray(req.instructions)) items.push(...(req.instructions as Item[]));
  items.push(...history, ...input);
  const messages = itemsToMessages(items, names);
  if (!messages.some((m) => m.role !== 'system'))
    throw new GatewayError(400, 'invalid_request', 'Invalid request: input is required', 'input');

  const chat: OAChatRequest = { model: req.model, messages };
  if (req.stream) chat.stream = true;
  if (req.max_output_tokens != null) chat.max_tokens = req.max_output_tokens;
  if (req.temperature != null) chat.temperature = req.temperature;
  if (req.top_p != null) chat.top_p = req.top_p;
  const choice = chatToolChoice(req.tool_choice, tools, names);
  if (choice.tools.length && choice.choice !== 'none') {
    chat.tools = choice.tools;
    if (choice.choice !== undefined) chat.tool_choice = choice.choice;
    if (req.parallel_tool_calls != null) chat.parallel_tool_calls = req.parallel_tool_calls;
  }
  const format = req.text?.format as Json | null | undefined;
  if (format?.type === 'json_object') chat.response_format = { type: 'json_object' };
  else if (format?.type === 'json_schema') {
    chat.response_format = {
      type: 'json_schema',
      json_schema: {
        name: format.name ?? 'response',
        schema: format.schema,
        ...(format.strict != null ? { strict: format.strict } : {}),
        ...(format.description ? { description: format.description } : {}),
      },
    };
  }
  const effort = req.reasoning?.effort;
  // 'none' as the template switch: the same to the sidecar, and no thinking budget once translated
  // for an Anthropic-format provider (which reads any reasoning_effort as "think").
  if (effort === 'none') chat.chat_template_kwargs = { enable_thinking: false };
  else if (effort === 'xhigh') chat.reasoning_effort = 'high';
  else if (effort && EFFORTS.has(effort))
    chat.reasoning_effort = effort as OAChatRequest['reasoning_effort'];
  const user = req.safety_identifier ?? req.user;
  if (user) chat.user = user;
  // Passed on as a hint; the sidecar's prefix cache matches on the prompt's tokens in any case.
  if (req.prompt_cache_key) chat.prompt_cache_key = req.prompt_cache_key;
  Object.assign(chat, orchardExtensions(req as Json));
  return { chat, names };
}
