// A chat completion as the Responses `response` object: reasoning, then the message, then one item per
// tool call, with the status its finish reason stands for and the usage in Responses terms.
import type { Json, OAChatResponse } from '../translate/shapes.ts';
import {
  callItem,
  envelope,
  itemPrefix,
  messageItem,
  newId,
  reasoningItem,
  responsesUsage,
  statusOf,
  type ResponseContext,
} from './object.ts';

export function fromChat(ctx: ResponseContext, res: OAChatResponse): Json {
  const choice = res.choices?.[0];
  const m = choice?.message;
  const { status, incomplete_details } = statusOf(choice?.finish_reason);
  const output: Json[] = [];
  const reasoning = m?.reasoning_content ?? m?.reasoning;
  if (reasoning) output.push(reasoningItem(ctx, newId(itemPrefix('reasoning')), reasoning));
  const text = typeof m?.content === 'string' ? m.content : '';
  if (text !== '' || !m?.tool_calls?.length)
    output.push(messageItem(newId(itemPrefix('message')), text, status));
  for (const tc of m?.tool_calls ?? []) {
    const name = tc.function?.name ?? '';
    const kind = ctx.names.ref(name).kind === 'custom' ? 'custom' : 'call';
    output.push(
      callItem(
        ctx,
        newId(itemPrefix(kind)),
        tc.id ?? newId('call'),
        name,
        tc.function?.arguments ?? '',
        'completed',
      ),
    );
  }
  return envelope(ctx, status, output, {
    usage: responsesUsage(res.usage as Json | null | undefined),
    incomplete_details,
  });
}
