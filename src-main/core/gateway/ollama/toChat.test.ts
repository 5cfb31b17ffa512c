// Ollama chat and generate bodies as chat-completions requests: options, format, think, images, tools and
// the pairing of tool results with the calls they answer.
import { describe, expect, it } from 'vitest';
import { chatRequest, generateRequest } from './protocol.ts';
import { chatMessages, chatToChat, generateToChat, samplingFields } from './toChat.ts';

describe('ollama → chat', () => {
  it('maps options onto sampling fields and leaves Ollama-only ones out', () => {
    expect(
      samplingFields({
        temperature: 0.2,
        top_p: 0.9,
        top_k: 40,
        num_predict: 64,
        num_ctx: 8192,
        stop: ['\n\n'],
        seed: -1,
        repeat_penalty: 1.1,
        num_thread: 8,
        mirostat: 2,
      } as never),
    ).toEqual({
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      max_tokens: 64,
      stop: ['\n\n'],
      seed: -1,
      repetition_penalty: 1.1,
    });
    // -1 and -2 are "no limit"; a repeat_penalty of 0 is "off".
    expect(samplingFields({ num_predict: -1, repeat_penalty: 0 })).toEqual({});
  });

  it('a chat request: stream by default, format json or a schema, think as template kwargs', () => {
    const req = chatRequest.parse({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      format: 'json',
      think: false,
    });
    expect(chatToChat(req, 'org/m')).toEqual({
      model: 'org/m',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      response_format: { type: 'json_object' },
      chat_template_kwargs: { enable_thinking: false },
    });
    const schema = { type: 'object', properties: { a: { type: 'number' } } };
    const withSchema = chatToChat(
      chatRequest.parse({ model: 'm', messages: [], format: schema, think: 'low', stream: false }),
      'm',
    );
    expect(withSchema).toMatchObject({
      stream: false,
      response_format: { type: 'json_schema', json_schema: { schema, strict: true } },
      chat_template_kwargs: { enable_thinking: true },
      reasoning_effort: 'low',
    });
    expect(() => chatToChat(chatRequest.parse({ model: 'm', format: 'yaml' }), 'm')).toThrow(
      /format must be "json" or a JSON schema/,
    );
    expect(() => chatToChat(chatRequest.parse({ model: 'm', think: 'max' }), 'm')).toThrow(
      /think must be/,
    );
  });

  it('images become image_url parts with a data URL of the right type', () => {
    const png = 'iVBORw0KGgo=';
    const jpeg = '/9j/4AAQ';
    const [m] = chatMessages([{ role: 'user', content: 'what is it?', images: [png, jpeg] }]);
    expect(m!.content).toEqual([
      { type: 'text', text: 'what is it?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
      { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${jpeg}` } },
    ]);
  });

  it('tool calls get ids and string arguments; results are paired with calls by name', () => {
    const msgs = chatMessages([
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: '',
        thinking: 'need tools',
        tool_calls: [
          { function: { name: 'get_weather', arguments: { city: 'Paris' } } },
          { function: { name: 'get_time', arguments: { tz: 'CET' } } },
        ],
      },
      { role: 'tool', content: '12:00', tool_name: 'get_time' },
      { role: 'tool', content: 'sunny', tool_name: 'get_weather' },
    ]);
    expect(msgs[1]).toEqual({
      role: 'assistant',
      content: '',
      reasoning_content: 'need tools',
      tool_calls: [
        {
          id: 'call_0',
          type: 'function',
          function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
        },
        {
          id: 'call_1',
          type: 'function',
          function: { name: 'get_time', arguments: '{"tz":"CET"}' },
        },
      ],
    });
    expect(msgs[2]).toEqual({
      role: 'tool',
      content: '12:00',
      tool_call_id: 'call_1',
      name: 'get_time',
    });
    expect(msgs[3]).toMatchObject({ tool_call_id: 'call_0' });
  });

  it('tools pass as function tools; other types are dropped', () => {
    const req = chatRequest.parse({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      tools: [
        { type: 'function', function: { name: 'f', parameters: { type: 'object' } } },
        { type: 'web_search', function: { name: 'w' } },
      ],
    });
    expect(chatToChat(req, 'm').tools).toEqual([
      { type: 'function', function: { name: 'f', parameters: { type: 'object' } } },
    ]);
  });

  it('generate: system and prompt as two messages; suffix is refused, template ignored', () => {
    const req = generateRequest.parse({
      model: 'm',
      prompt: 'Count.',
      system: 'Be brief.',
      template: '{{ .Prompt }}',
      options: { temperature: 0 },
      stream: false,
    });
    expect(generateToChat(req, 'm')).toEqual({
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Count.' },
      ],
      stream: false,
      temperature: 0,
    });
    expect(() =>
      generateToChat(generateRequest.parse({ model: 'm', prompt: 'a', suffix: 'b' }), 'm'),
    ).toThrow(/does not support insert/);
  });
});
