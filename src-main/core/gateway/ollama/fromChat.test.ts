// Chat answers as Ollama replies: the JSON reply of chat and generate, and the NDJSON stream with thinking,
// whole tool calls, the closing line's counts and durations, and the error line of a broken stream.
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { OAChunk } from '../translate/shapes.ts';
import { fromChat, type ReplyContext } from './fromChat.ts';
import { ollamaStream } from './stream.ts';

const ctx = (kind: 'chat' | 'generate'): ReplyContext => ({
  model: 'qwen:latest',
  kind,
  startedAt: performance.now(),
  loadMs: 0,
});

describe('chat → ollama', () => {
  it('a chat reply: message with thinking and tool calls (arguments as objects), counts', () => {
    const out = fromChat(ctx('chat'), {
      choices: [
        {
          message: {
            role: 'assistant',
            content: '',
            reasoning_content: 'hmm',
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
              { id: 'call_2', type: 'function', function: { name: 'g', arguments: 'not json' } },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 7, completion_tokens: 3 },
    });
    expect(out).toMatchObject({
      model: 'qwen:latest',
      message: {
        role: 'assistant',
        content: '',
        thinking: 'hmm',
        tool_calls: [
          { id: 'call_1', function: { index: 0, name: 'f', arguments: { a: 1 } } },
          { id: 'call_2', function: { index: 1, name: 'g', arguments: {} } },
        ],
      },
      done: true,
      done_reason: 'stop',
      prompt_eval_count: 7,
      eval_count: 3,
    });
    expect(typeof out.total_duration).toBe('number');
    expect(Number.isInteger(out.eval_duration)).toBe(true);
    expect(Date.parse(out.created_at as string)).not.toBeNaN();
  });

  it('a generate reply: response text; a cut answer is done_reason length', () => {
    const out = fromChat(ctx('generate'), {
      choices: [{ message: { role: 'assistant', content: '1 2 3' }, finish_reason: 'length' }],
    });
    expect(out).toMatchObject({ response: '1 2 3', done: true, done_reason: 'length' });
    expect(out).not.toHaveProperty('message');
  });

  it('streams NDJSON: deltas, tool calls whole at the finish, a closing line with counts', () => {
    const t = ollamaStream(ctx('chat'));
    const lines: string[] = [];
    const chunks: OAChunk[] = [
      { choices: [{ delta: { role: 'assistant', reasoning_content: 'th' } }] },
      { choices: [{ delta: { content: 'Hel' } }] },
      { choices: [{ delta: { content: 'lo' } }] },
      {
        choices: [
          {
            delta: {
              tool_calls: [{ index: 0, id: 'call_9', function: { name: 'f', arguments: '{"a"' } }],
            },
          },
        ],
      },
      { choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: ':2}' } }] } }] },
      { choices: [{ delta: {}, finish_reason: 'tool_calls' }] },
      { choices: [], usage: { prompt_tokens: 5, completion_tokens: 4 } },
    ];
    for (const c of chunks) lines.push(...t.push(c));
    lines.push(...t.end());
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.map((o) => o.message)).toEqual([
      { role: 'assistant', content: '', thinking: 'th' },
      { role: 'assistant', content: 'Hel' },
      { role: 'assistant', content: 'lo' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [{ id: 'call_9', function: { index: 0, name: 'f', arguments: { a: 2 } } }],
      },
      { role: 'assistant', content: '' },
    ]);
    expect(objs.slice(0, -1).every((o) => o.done === false)).toBe(true);
    expect(objs.at(-1)).toMatchObject({
      done: true,
      done_reason: 'stop',
      prompt_eval_count: 5,
      eval_count: 4,
    });
    expect(objs.at(-1)!.prompt_eval_duration as number).toBeGreaterThanOrEqual(0);
  });

  it('generate streams `response` pieces; a broken stream ends with an error line; onEnd runs once', () => {
    let ended = 0;
    const t = ollamaStream(ctx('generate'), () => ended++);
    const first = JSON.parse(t.push({ choices: [{ delta: { content: 'a' } }] })[0]!);
    expect(first).toMatchObject({ model: 'qwen:latest', response: 'a', done: false });
    expect(JSON.parse(t.error('backend went away'))).toEqual({ error: 'backend went away' });
    t.end();
    expect(ended).toBe(1);
  });
});
