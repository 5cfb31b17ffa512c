// Translation between OpenAI and Anthropic formats: requests, responses and streams, both directions.
import { describe, expect, it } from 'vitest';
import { anthropicRequestToOpenAI, openAIResponseToAnthropic } from './anthropicToOpenai.ts';
import { anthropicStreamToOpenAI } from './anthropicStreamToOpenai.ts';
import { anthropicResponseToOpenAI, openAIRequestToAnthropic } from './openaiToAnthropic.ts';
import { openAIStreamToAnthropic } from './openaiStreamToAnthropic.ts';
import type { AEvent, AMessagesRequest, OAChatRequest, OAChunk } from './shapes.ts';

const weatherTool = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
};

describe('Anthropic client → OpenAI provider', () => {
  const req: AMessagesRequest = {
    model: 'claude-x',
    system: [
      { type: 'text', text: 'Be brief.' },
      { type: 'text', text: 'Use tools.' },
    ],
    max_tokens: 64,
    temperature: 0,
    top_p: 0,
    top_k: 0,
    stop_sequences: ['END'],
    tools: [{ name: 'get_weather', description: 'Weather now', input_schema: weatherTool }],
    tool_choice: { type: 'any', disable_parallel_tool_use: true },
    thinking: { type: 'enabled', budget_tokens: 2000 },
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'need tool', signature: 's' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '18C' }] },
          { type: 'text', text: 'And tomorrow?' },
        ],
      },
    ],
  };

  it('maps system blocks, tools, tool results, stops, thinking; sampling zeros stay zero', () => {
    const out = anthropicRequestToOpenAI(req, 'provider-model');
    expect(out).toMatchObject({
      model: 'provider-model',
      max_tokens: 64,
      temperature: 0,
      top_p: 0,
      top_k: 0,
      stop: ['END'],
      tool_choice: 'required',
      parallel_tool_calls: false,
      reasoning_effort: 'low',
    });
    expect(out.tools).toEqual([
      {
        type: 'function',
        function: { name: 'get_weather', description: 'Weather now', parameters: weatherTool },
      },
    ]);
    expect(out.messages).toEqual([
      { role: 'system', content: 'Be brief.\n\nUse tools.' },
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: 'Checking.',
        reasoning_content: 'need tool',
        tool_calls: [
          {
            id: 'toolu_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: '18C' },
      { role: 'user', content: 'And tomorrow?' },
    ]);
  });

  it('leaves absent sampling values absent (no invented defaults)', () => {
    const out = anthropicRequestToOpenAI(
      { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] },
      'm',
    );
    expect('temperature' in out).toBe(false);
    expect('top_p' in out).toBe(false);
    expect('stop' in out).toBe(false);
  });

  it("keeps system messages among the turns, and drops Claude Code's billing line", () => {
    const out = anthropicRequestToOpenAI(
      {
        model: 'claude-x',
        max_tokens: 8,
        system: [
          { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.9.abc; cch=12345;' },
          { type: 'text', text: 'Be brief.' },
        ],
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'system', content: [{ type: 'text', text: 'MCP instructions' }] },
          { role: 'user', content: 'go' },
        ],
      },
      'm',
    );
    expect(out.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
      { role: 'system', content: 'MCP instructions' },
      { role: 'user', content: 'go' },
    ]);
  });

  it("maps Claude Code's output_config.effort where thinking is not disabled", () => {
    const base = { model: 'c', max_tokens: 8, messages: [{ role: 'user' as const, content: 'x' }] };
    const effort = (e: string, thinking?: object) =>
      anthropicRequestToOpenAI(
        { ...base, output_config: { effort: e }, ...(thinking ? { thinking } : {}) } as never,
        'm',
      ).reasoning_effort;
    expect(effort('max', { type: 'adaptive' })).toBe('high');
    expect(effort('low')).toBe('low');
    expect(effort('high', { type: 'disabled' })).toBeUndefined();
    expect(effort('constructor')).toBeUndefined();
  });

  it('asks for usage in streams', () => {
    expect(anthropicRequestToOpenAI({ ...req, stream: true }, 'm').stream_options).toEqual({
      include_usage: true,
    });
  });

  it('keeps tool calls, thinking and usage in a non-streaming response', () => {
    const out = openAIResponseToAnthropic(
      {
        id: 'chatcmpl-42',
        choices: [
          {
            message: {
              role: 'assistant',
              content: null,
              reasoning_content: 'hmm',
              tool_calls: [
                {
                  id: 'call_1',
                  type: 'function',
                  function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
                },
              ],
            },
            finish_reason: 'tool_calls',
          },
        ],
        usage: {
          prompt_tokens: 11,
          completion_tokens: 7,
          prompt_tokens_details: { cached_tokens: 4 },
        },
      },
      'claude-x',
    );
    expect(out).toEqual({
      id: 'msg_42',
      type: 'message',
      role: 'assistant',
      model: 'claude-x',
      content: [
        { type: 'thinking', thinking: 'hmm', signature: '' },
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Oslo' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      // The provider's cached prompt tokens are cache reads; input_tokens the rest.
      usage: {
        input_tokens: 7,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 4,
        output_tokens: 7,
      },
    });
  });

  it('translates a stream with thinking, text and two tool calls into well-formed events', () => {
    const t = openAIStreamToAnthropic({ model: 'claude-x' });
    const chunks: OAChunk[] = [
      { id: 'chatcmpl-9', choices: [{ delta: { role: 'assistant', content: '' } }] },
      { choices: [{ delta: { reasoning_content: 'think' } }] },
      { choices: [{ delta: { content: 'Hi' } }] },
      { choices: [{ delta: { content: ' there' } }] },
      {
        choices: [
          {
            delta: { tool_calls: [{ index: 0, id: 'c1', function: { name: 'a', arguments: '' } }] },
          },
        ],
      },
      { choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: '{"x":' } }] } }] },
      { choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: '1}' } }] } }] },
      {
        choices: [
          {
            delta: {
              tool_calls: [{ index: 1, id: 'c2', function: { name: 'b', arguments: '{}' } }],
            },
          },
        ],
      },
      { choices: [{ delta: {}, finish_reason: 'tool_calls' }] },
      { choices: [], usage: { prompt_tokens: 5, completion_tokens: 9 } },
    ];
    const events: AEvent[] = [...chunks.flatMap((c) => t.push(c)), ...t.end()];
    const brief = events.map((e) =>
      e.type === 'content_block_start'
        ? `start:${(e.content_block as { type: string }).type}@${String(e.index)}`
        : e.type === 'content_block_delta'
          ? `delta:${(e.delta as { type: string }).type}@${String(e.index)}`
          : e.type === 'content_block_stop'
            ? `stop@${String(e.index)}`
            : e.type,
    );
    expect(brief).toEqual([
      'message_start',
      'start:thinking@0',
      'delta:thinking_delta@0',
      'stop@0',
      'start:text@1',
      'delta:text_delta@1',
      'delta:text_delta@1',
      'stop@1',
      'start:tool_use@2',
      'delta:input_json_delta@2',
      'delta:input_json_delta@2',
      'stop@2',
      'start:tool_use@3',
      'delta:input_json_delta@3',
      'stop@3',
      'message_delta',
      'message_stop',
    ]);
    expect(events[0]).toMatchObject({ message: { id: 'msg_9', model: 'claude-x' } });
    expect(events[8]).toMatchObject({
      content_block: { type: 'tool_use', id: 'c1', name: 'a', input: {} },
    });
    expect(events.at(-2)).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: {
        input_tokens: 5,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: 9,
      },
    });
    expect(t.usage()).toEqual({ promptTokens: 5, completionTokens: 9 });
  });

  it('an empty stream still yields a complete message', () => {
    const t = openAIStreamToAnthropic({ model: 'm' });
    expect(t.end().map((e) => e.type)).toEqual(['message_start', 'message_delta', 'message_stop']);
  });
});

describe('OpenAI client → Anthropic provider', () => {
  const req: OAChatRequest = {
    model: 'gpt-x',
    temperature: 0,
    top_p: 0,
    stop: 'STOP',
    parallel_tool_calls: false,
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: weatherTool } }],
    messages: [
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Look:' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'c1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: '21C' },
      { role: 'user', content: 'thanks' },
    ],
  };

  it('maps system, images, tool calls and results, stop, tool_choice; temperature 0 stays 0', () => {
    const out = openAIRequestToAnthropic(req, 'claude-real');
    expect(out.temperature).toBe(0);
    expect(out.top_p).toBe(0);
    expect(out.max_tokens).toBe(4096);
    expect(out.system).toBe('Be brief.');
    expect(out.stop_sequences).toEqual(['STOP']);
    expect(out.tool_choice).toEqual({
      type: 'tool',
      name: 'get_weather',
      disable_parallel_tool_use: true,
    });
    expect(out.tools).toEqual([{ name: 'get_weather', input_schema: weatherTool }]);
    expect(out.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Look:' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
        ],
      },
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'c1', name: 'get_weather', input: { city: 'Rome' } }],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'c1', content: '21C' },
          { type: 'text', text: 'thanks' },
        ],
      },
    ]);
  });

  it('uses the caller max_tokens, including max_completion_tokens', () => {
    expect(openAIRequestToAnthropic({ ...req, max_tokens: 7 }, 'm').max_tokens).toBe(7);
    expect(
      openAIRequestToAnthropic({ ...req, max_completion_tokens: 9, max_tokens: 7 }, 'm').max_tokens,
    ).toBe(9);
  });

  it('keeps tool_calls in a non-streaming response', () => {
    const out = anthropicResponseToOpenAI(
      {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-real',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'toolu_9', name: 'get_weather', input: { city: 'Rome' } },
        ],
        stop_reason: 'tool_use',
        stop_sequence: null,
        usage: { input_tokens: 3, output_tokens: 4 },
      },
      'gpt-x',
      1000,
    );
    expect(out.choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [
          {
            id: 'toolu_9',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
          },
        ],
      },
      finish_reason: 'tool_calls',
    });
    expect(out.usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
  });

  it('translates an Anthropic event stream into chunks with tool calls and usage', () => {
    const t = anthropicStreamToOpenAI({ model: 'gpt-x', created: 5, includeUsage: true });
    const events: AEvent[] = [
      {
        type: 'message_start',
        message: { id: 'msg_7', usage: { input_tokens: 12, output_tokens: 1 } },
      },
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hm' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Ok' } },
      { type: 'ping' },
      {
        type: 'content_block_start',
        index: 2,
        content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} },
      },
      {
        type: 'content_block_delta',
        index: 2,
        delta: { type: 'input_json_delta', partial_json: '{"a":1}' },
      },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 6 } },
      { type: 'message_stop' },
    ];
    const chunks = events.flatMap((e) => t.push(e));
    expect(t.end()).toEqual([]); // message_stop already finished it
    const deltas = chunks.map((c) => c.choices?.[0]?.delta);
    expect(deltas.slice(0, 5)).toEqual([
      { role: 'assistant', content: '' },
      { reasoning_content: 'hm' },
      { content: 'Ok' },
      {
        tool_calls: [
          { index: 0, id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '' } },
        ],
      },
      { tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }] },
    ]);
    expect(chunks[5]?.choices?.[0]?.finish_reason).toBe('tool_calls');
    expect(chunks[6]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 },
    });
    expect(chunks.every((c) => c.id === 'chatcmpl-msg_7')).toBe(true);
  });
});
