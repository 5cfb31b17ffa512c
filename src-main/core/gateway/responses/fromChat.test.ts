// Chat answers as Responses objects and event streams: the items, statuses, usage, and the documented
// event order with strictly increasing sequence numbers.
import { describe, expect, it } from 'vitest';
import type { Json, OAChunk } from '../translate/shapes.ts';
import { fromChat } from './fromChat.ts';
import type { ResponseContext } from './object.ts';
import { responsesRequest } from './protocol.ts';
import { responsesStream } from './stream.ts';
import { chatTools } from './tools.ts';

function ctx(body: Record<string, unknown> = {}): ResponseContext {
  const req = responsesRequest.parse({ model: 'm', input: 'x', ...body });
  return {
    id: 'resp_1',
    createdAt: 100,
    req,
    names: chatTools(req).names,
    summary: Boolean(req.reasoning?.summary),
  };
}

const USAGE = {
  prompt_tokens: 10,
  completion_tokens: 5,
  total_tokens: 15,
  prompt_tokens_details: { cached_tokens: 4 },
  completion_tokens_details: { reasoning_tokens: 2 },
};

describe('chat completion to response object', () => {
  it('reasoning, text and usage', () => {
    const r = fromChat(ctx({ reasoning: { summary: 'auto' } }), {
      choices: [
        {
          message: { role: 'assistant', content: 'Hi!', reasoning_content: 'Think.' },
          finish_reason: 'stop',
        },
      ],
      usage: USAGE,
    });
    expect(r).toMatchObject({
      id: 'resp_1',
      object: 'response',
      created_at: 100,
      status: 'completed',
      model: 'm',
      store: true,
      output: [
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Think.' }] },
        {
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Hi!', annotations: [] }],
        },
      ],
      usage: {
        input_tokens: 10,
        input_tokens_details: { cached_tokens: 4 },
        output_tokens: 5,
        output_tokens_details: { reasoning_tokens: 2 },
        total_tokens: 15,
      },
    });
    // Without a summary asked for, the reasoning is the item's content.
    const plain = fromChat(ctx(), {
      choices: [{ message: { role: 'assistant', content: 'x', reasoning_content: 'T' } }],
    });
    expect((plain.output as Json[])[0]).toMatchObject({
      summary: [],
      content: [{ type: 'reasoning_text', text: 'T' }],
    });
  });

  it('tool calls become function_call and custom_tool_call items; no empty message', () => {
    const c = ctx({
      tools: [
        { type: 'function', name: 'get_weather', parameters: { type: 'object' } },
        { type: 'custom', name: 'apply_patch' },
        {
          type: 'namespace',
          name: 'ns',
          description: '',
          tools: [{ type: 'function', name: 'f' }],
        },
      ],
    });
    const r = fromChat(c, {
      choices: [
        {
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_1', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_2', function: { name: 'apply_patch', arguments: '{"input":"PATCH"}' } },
              { id: 'call_3', function: { name: 'ns__f', arguments: '{}' } },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ],
    });
    expect(r.output).toEqual([
      expect.objectContaining({
        type: 'function_call',
        call_id: 'call_1',
        name: 'get_weather',
        arguments: '{"city":"Paris"}',
        status: 'completed',
      }),
      expect.objectContaining({
        type: 'custom_tool_call',
        call_id: 'call_2',
        name: 'apply_patch',
        input: 'PATCH',
      }),
      expect.objectContaining({ type: 'function_call', name: 'f', namespace: 'ns' }),
    ]);
    expect(r.status).toBe('completed');
  });

  it('length is incomplete with max_output_tokens as the reason', () => {
    const r = fromChat(ctx(), {
      choices: [{ message: { role: 'assistant', content: 'cut' }, finish_reason: 'length' }],
    });
    expect(r).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      output: [{ type: 'message', status: 'incomplete' }],
    });
  });
});

function events(frames: string[]): Json[] {
  return frames
    .join('')
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const [ev, data] = block.split('\n');
      const j = JSON.parse(data!.slice('data: '.length)) as Json;
      expect(ev).toBe(`event: ${String(j.type)}`);
      return j;
    });
}

const chunk = (delta: Json, finish: string | null = null): OAChunk => ({
  choices: [{ index: 0, delta, finish_reason: finish }],
});

describe('chat stream to Responses events', () => {
  it('reasoning, text and a tool call in the documented order, sequence numbers 0, 1, 2, …', () => {
    const saved: Json[] = [];
    const c = ctx({
      tools: [{ type: 'function', name: 'get_weather' }],
      reasoning: { summary: 'auto' },
    });
    const t = responsesStream(c, (r) => saved.push(r));
    const frames = [
      ...t.push(chunk({ role: 'assistant', content: '' })),
      ...t.push(chunk({ reasoning_content: 'Hm' })),
      ...t.push(chunk({ reasoning_content: 'm.' })),
      ...t.push(chunk({ content: 'Let me ' })),
      ...t.push(chunk({ content: 'check.' })),
      ...t.push(
        chunk({
          tool_calls: [
            { index: 0, id: 'call_9', function: { name: 'get_weather', arguments: '{"ci' } },
          ],
        }),
      ),
      ...t.push(chunk({ tool_calls: [{ index: 0, function: { arguments: 'ty":"P"}' } }] })),
      ...t.push(chunk({}, 'tool_calls')),
      ...t.push({ choices: [], usage: USAGE }),
      ...t.end(),
    ];
    const evs = events(frames);
    expect(evs.map((e) => e.sequence_number)).toEqual(evs.map((_, i) => i));
    expect(evs.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const done = evs.at(-1)!.response as Json;
    expect(done).toMatchObject({
      status: 'completed',
      usage: { input_tokens: 10, output_tokens: 5 },
    });
    expect(done.output).toEqual([
      expect.objectContaining({
        type: 'reasoning',
        summary: [{ type: 'summary_text', text: 'Hmm.' }],
      }),
      expect.objectContaining({
        type: 'message',
        content: [expect.objectContaining({ text: 'Let me check.' })],
      }),
      expect.objectContaining({
        type: 'function_call',
        call_id: 'call_9',
        arguments: '{"city":"P"}',
      }),
    ]);
    expect((evs[0]!.response as Json).status).toBe('in_progress');
    expect(evs[13]).toMatchObject({ text: 'Let me check.', output_index: 1, content_index: 0 });
    expect(saved).toEqual([done]);
  });

  it('reasoning without a summary asked for streams as reasoning_text', () => {
    const t = responsesStream(ctx(), () => {});
    const evs = events([
      ...t.push(chunk({ reasoning_content: 'R' })),
      ...t.push(chunk({ content: 'A' }, 'stop')),
      ...t.end(),
    ]);
    expect(evs.slice(2, 7).map((e) => e.type)).toEqual([
      'response.output_item.added',
      'response.content_part.added',
      'response.reasoning_text.delta',
      'response.reasoning_text.done',
      'response.content_part.done',
    ]);
  });

  it('length ends in response.incomplete; a break after the first token in response.failed', () => {
    const a = responsesStream(ctx(), () => {});
    const ev1 = events([...a.push(chunk({ content: 'x' }, 'length')), ...a.end()]);
    expect(ev1.at(-1)).toMatchObject({
      type: 'response.incomplete',
      response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } },
    });
    const saved: Json[] = [];
    const b = responsesStream(ctx(), (r) => saved.push(r));
    const ev2 = events([...b.push(chunk({ content: 'x' })), b.error('the backend stream broke')]);
    expect(ev2.at(-1)).toMatchObject({
      type: 'response.failed',
      sequence_number: ev2.length - 1,
      response: {
        status: 'failed',
        error: { code: 'server_error', message: 'the backend stream broke' },
      },
    });
    expect(saved).toHaveLength(1);
  });

  it('a custom tool call streams its input, not the JSON wrapper', () => {
    const t = responsesStream(ctx({ tools: [{ type: 'custom', name: 'apply_patch' }] }), () => {});
    const evs = events([
      ...t.push(
        chunk({
          tool_calls: [
            { index: 0, id: 'c', function: { name: 'apply_patch', arguments: '{"input":' } },
          ],
        }),
      ),
      ...t.push(
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"P"}' } }] }, 'tool_calls'),
      ),
      ...t.end(),
    ]);
    expect(evs.slice(2).map((e) => e.type)).toEqual([
      'response.output_item.added',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(evs[4]).toMatchObject({ input: 'P' });
  });
});
