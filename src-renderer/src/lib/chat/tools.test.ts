// The pure part of tools in chat: tool-call pieces from the stream put together, arguments checked,
// stored calls and results turned back into the request's history.
import { describe, expect, it } from 'vitest';
import { message } from '../../../test/fixtures.ts';
import { parseChunk } from './stream.ts';
import { historyMessages, parseArguments, ToolCallCollector } from './tools.ts';

describe('tool calls from the stream', () => {
  it('joins the pieces of parallel calls by index, in index order', () => {
    const c = new ToolCallCollector();
    const frames = [
      {
        choices: [
          {
            delta: {
              tool_calls: [{ index: 1, id: 'b', function: { name: 'sum', arguments: '{"a"' } }],
            },
          },
        ],
      },
      {
        choices: [
          {
            delta: {
              tool_calls: [{ index: 0, id: 'a', function: { name: 'echo', arguments: '' } }],
            },
          },
        ],
      },
      { choices: [{ delta: { tool_calls: [{ index: 1, function: { arguments: ':1}' } }] } }] },
      { choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: '{}' } }] } }] },
    ];
    for (const f of frames)
      for (const ev of parseChunk(JSON.stringify(f))) if (ev.kind === 'toolCall') c.push(ev);
    expect(c.calls()).toEqual([
      { id: 'a', name: 'echo', arguments: '{}' },
      { id: 'b', name: 'sum', arguments: '{"a":1}' },
    ]);
  });

  it('reads arguments as an object, or says why not', () => {
    expect(parseArguments('')).toEqual({ ok: true, value: {} });
    expect(parseArguments('{"x":1}')).toEqual({ ok: true, value: { x: 1 } });
    expect(parseArguments('[1]')).toEqual({
      ok: false,
      error: 'the arguments are not a JSON object',
    });
    expect(parseArguments('{"x":')).toEqual({
      ok: false,
      error: 'the arguments are not valid JSON',
    });
  });

  it('puts stored calls and results back into the history; other tool rows are left out', () => {
    const h = historyMessages([
      message(1, 'c', { role: 'user', content: 'q' }),
      message(2, 'c', {
        role: 'assistant',
        content: '',
        meta: { toolCalls: [{ id: 'k', name: 'echo', arguments: '{}' }] },
      }),
      message(3, 'c', {
        role: 'tool',
        content: 'Echo: q',
        meta: { tool: { callId: 'k', name: 'echo', server: 's', arguments: '{}', isError: false } },
      }),
      message(4, 'c', { role: 'tool', content: 'orphan' }),
      message(5, 'c', { role: 'system', content: 'ignored' }),
      message(6, 'c', { role: 'assistant', content: 'a' }),
    ]);
    expect(h).toEqual([
      { role: 'user', content: 'q' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [{ id: 'k', type: 'function', function: { name: 'echo', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'k', content: 'Echo: q' },
      { role: 'assistant', content: 'a' },
    ]);
  });
});
