// The Responses → chat request translation: items to messages, tools (function, custom, namespace,
// hosted), tool_choice, text.format, reasoning and the options that map across or are left out.
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.ts';
import { normalizeInput } from './front.ts';
import { responsesRequest, type Item } from './protocol.ts';
import { toChat } from './toChat.ts';

const parse = (body: Record<string, unknown>) => responsesRequest.parse({ model: 'm', ...body });
const plan = (body: Record<string, unknown>, history: Item[] = []) => {
  const req = parse(body);
  return toChat(req, history, normalizeInput(req.input));
};

const WEATHER = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather for a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: true,
};

describe('Responses request to chat', () => {
  it('string input with instructions: one system and one user message, options mapped', () => {
    const { chat } = plan({
      input: 'Hello',
      instructions: 'Be brief.',
      max_output_tokens: 16,
      temperature: 0,
      top_p: 0.5,
      stream: true,
      user: 'u1',
      prompt_cache_key: 'codex-session',
      service_tier: 'priority',
      include: ['reasoning.encrypted_content'],
      client_metadata: { a: 1 },
    });
    expect(chat).toEqual({
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
      stream: true,
      max_tokens: 16,
      temperature: 0,
      top_p: 0.5,
      user: 'u1',
      prompt_cache_key: 'codex-session',
    });
  });

  it('items: leading developer turns join the system message, later ones become user turns', () => {
    const { chat } = plan({
      instructions: 'Base.',
      input: [
        { role: 'developer', content: 'Permissions.' },
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'Hi ' },
            { type: 'input_text', text: 'there' },
          ],
        },
        { role: 'assistant', content: [{ type: 'output_text', text: 'Hello.' }] },
        { role: 'system', content: 'Mode changed.' },
        { role: 'user', content: 'Next' },
      ],
    });
    expect(chat.messages).toEqual([
      { role: 'system', content: 'Base.\n\nPermissions.' },
      { role: 'user', content: 'Hi there' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'user', content: 'Mode changed.' },
      { role: 'user', content: 'Next' },
    ]);
  });

  it('images become image_url parts; a file_id image is a 400 naming input', () => {
    const { chat } = plan({
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is this?' },
            { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'low' },
          ],
        },
      ],
    });
    expect(chat.messages[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
      ],
    });
    expect(() =>
      plan({ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1' }] }] }),
    ).toThrow(GatewayError);
  });

  it('function calls, their outputs and reasoning items passed back become one assistant turn', () => {
    const { chat } = plan({
      tools: [WEATHER],
      input: [
        { role: 'user', content: 'Weather?' },
        {
          type: 'reasoning',
          id: 'rs_1',
          summary: [{ type: 'summary_text', text: 'Need the tool.' }],
        },
        {
          type: 'function_call',
          call_id: 'call_1',
          name: 'get_weather',
          arguments: '{"city":"Paris"}',
        },
        {
          type: 'function_call',
          call_id: 'call_2',
          name: 'get_weather',
          arguments: '{"city":"Rome"}',
        },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
        {
          type: 'function_call_output',
          call_id: 'call_2',
          output: [{ type: 'input_text', text: 'rain' }],
        },
        { type: 'web_search_call', id: 'ws_1', status: 'completed' },
      ],
    });
    expect(chat.messages).toEqual([
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: null,
        reasoning_content: 'Need the tool.',
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
          {
            id: 'call_2',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      { role: 'tool', tool_call_id: 'call_2', content: 'rain' },
    ]);
  });

  it('history from previous_response_id comes before the input; instructions are this request’s', () => {
    const history = normalizeInput('First');
    history.push({
      id: 'msg_a',
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_text', text: 'One.' }],
    });
    const { chat } = plan({ input: 'Second', instructions: 'New.' }, history);
    expect(chat.messages).toEqual([
      { role: 'system', content: 'New.' },
      { role: 'user', content: 'First' },
      { role: 'assistant', content: 'One.' },
      { role: 'user', content: 'Second' },
    ]);
  });

  it('tools: function kept with strict, custom as one string, namespace flattened, hosted left out', () => {
    const { chat, names } = plan({
      input: 'x',
      tools: [
        WEATHER,
        {
          type: 'custom',
          name: 'apply_patch',
          description: 'Patch files.',
          format: { type: 'grammar', syntax: 'lark', definition: 'start: "x"' },
        },
        {
          type: 'namespace',
          name: 'mcp__files',
          description: 'Files.',
          tools: [
            { type: 'function', name: 'read', parameters: { type: 'object', properties: {} } },
          ],
        },
        { type: 'web_search', search_context_size: 'low' },
        { type: 'mcp', server_label: 's', server_url: 'https://example.com' },
        { type: 'local_shell' },
      ],
      tool_choice: 'auto',
      parallel_tool_calls: false,
    });
    expect(chat.tools?.map((t) => t.function.name)).toEqual([
      'get_weather',
      'apply_patch',
      'mcp__files__read',
    ]);
    expect(chat.tools?.[0]?.function).toMatchObject({
      strict: true,
      parameters: WEATHER.parameters,
    });
    expect(chat.tools?.[1]?.function.parameters).toMatchObject({ required: ['input'] });
    expect(JSON.stringify(chat.tools?.[1]?.function.parameters)).toContain('start: \\"x\\"');
    expect(chat.tool_choice).toBe('auto');
    expect(chat.parallel_tool_calls).toBe(false);
    expect(names.ref('apply_patch')).toEqual({ kind: 'custom', name: 'apply_patch' });
    expect(names.ref('mcp__files__read')).toEqual({
      kind: 'function',
      name: 'read',
      namespace: 'mcp__files',
    });
  });

  it('tool_choice: named function, allowed_tools, hosted choice, a tool not offered, none', () => {
    const tools = [WEATHER, { ...WEATHER, name: 'other' }];
    expect(
      plan({ input: 'x', tools, tool_choice: { type: 'function', name: 'other' } }).chat
        .tool_choice,
    ).toEqual({
      type: 'function',
      function: { name: 'other' },
    });
    const allowed = plan({
      input: 'x',
      tools,
      tool_choice: {
        type: 'allowed_tools',
        mode: 'required',
        tools: [{ type: 'function', name: 'get_weather' }],
      },
    }).chat;
    expect(allowed.tools?.map((t) => t.function.name)).toEqual(['get_weather']);
    expect(allowed.tool_choice).toBe('required');
    expect(
      plan({ input: 'x', tools, tool_choice: { type: 'web_search_preview' } }).chat.tool_choice,
    ).toBe('auto');
    expect(
      plan({ input: 'x', tools, tool_choice: { type: 'function', name: 'nope' } }).chat.tool_choice,
    ).toBe('auto');
    const none = plan({ input: 'x', tools, tool_choice: 'none' }).chat;
    expect(none.tools).toBeUndefined();
    expect(plan({ input: 'x', tools: [{ type: 'web_search' }] }).chat.tools).toBeUndefined();
  });

  it('custom tool calls in history carry their input as the function argument', () => {
    const { chat } = plan({
      tools: [{ type: 'custom', name: 'apply_patch' }],
      input: [
        { role: 'user', content: 'Patch it' },
        { type: 'custom_tool_call', call_id: 'c1', name: 'apply_patch', input: '*** Begin Patch' },
        { type: 'custom_tool_call_output', call_id: 'c1', output: 'Done' },
      ],
    });
    expect(chat.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'c1',
            type: 'function',
            function: { name: 'apply_patch', arguments: '{"input":"*** Begin Patch"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'Done' },
    ]);
  });

  it('text.format and reasoning map to response_format and reasoning_effort', () => {
    const schema = { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] };
    const { chat } = plan({
      input: 'x',
      text: { format: { type: 'json_schema', name: 'A', schema, strict: true } },
      reasoning: { effort: 'low', summary: 'auto' },
    });
    expect(chat.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'A', schema, strict: true },
    });
    expect(chat.reasoning_effort).toBe('low');
    expect(plan({ input: 'x', reasoning: { effort: 'xhigh' } }).chat.reasoning_effort).toBe('high');
    const none = plan({ input: 'x', reasoning: { effort: 'none' } }).chat;
    expect(none.reasoning_effort).toBeUndefined();
    expect(none.chat_template_kwargs).toEqual({ enable_thinking: false });
    expect(
      plan({ input: 'x', text: { format: { type: 'json_object' } } }).chat.response_format,
    ).toEqual({
      type: 'json_object',
    });
  });

  it('no input at all is a 400 naming input', () => {
    expect(() => plan({ instructions: 'Only this.' })).toThrow(/input is required/);
  });
});

describe('Responses request validation', () => {
  const issue = (body: Record<string, unknown>) => {
    const r = responsesRequest.safeParse(body);
    return r.success ? null : r.error.issues[0]!.path.join('.');
  };
  it('refuses what the translation cannot read, naming the field', () => {
    expect(issue({ input: 'x' })).toBe('model');
    expect(issue({ model: 'm', input: 5 })).toBe('input');
    expect(
      issue({ model: 'm', input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }),
    ).toBe('input.0.call_id');
    expect(issue({ model: 'm', input: [{ role: 'robot', content: 'x' }] })).toBe('input.0.role');
    expect(issue({ model: 'm', input: 'x', tools: [{ type: 'function' }] })).toBe('tools.0.name');
    expect(
      issue({ model: 'm', input: 'x', text: { format: { type: 'json_schema', name: 'n' } } }),
    ).toBe('text.format.schema');
    expect(issue({ model: 'm', input: 'x', max_output_tokens: 0 })).toBe('max_output_tokens');
  });
  it('accepts what it ignores: unknown item and tool types, include, service_tier, metadata', () => {
    expect(
      issue({
        model: 'm',
        input: [
          { type: 'local_shell_call', id: 'x' },
          { role: 'user', content: 'x' },
        ],
        tools: [
          { type: 'namespace', name: 'n', description: 'd', tools: [] },
          { type: 'image_generation' },
        ],
        include: ['reasoning.encrypted_content'],
        service_tier: 'flex',
        store: false,
        prompt_cache_key: 'k',
        client_metadata: { x: 'y' },
        metadata: { a: 'b' },
        truncation: 'auto',
        background: false,
        stream_options: { include_obfuscation: false },
      }),
    ).toBeNull();
  });
});
