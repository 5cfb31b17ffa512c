// The stream chunks `orchard run` reads: reasoning under either name, content, finish, [DONE], and
// error chunks or malformed ones turned into errors with their message.
import { describe, expect, it } from 'vitest';
import { parseChunk } from './chatStream.ts';

const chunk = (delta: object, finish: string | null = null): string =>
  JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }], usage: null });

describe('parseChunk', () => {
  it('reads reasoning (reasoning_content first, then reasoning), content and the finish', () => {
    expect(parseChunk(chunk({ reasoning_content: 'a', reasoning: 'a' }))).toEqual([
      { kind: 'reasoning', text: 'a' },
    ]);
    expect(parseChunk(chunk({ reasoning: 'b' }))).toEqual([{ kind: 'reasoning', text: 'b' }]);
    expect(parseChunk(chunk({ role: 'assistant', content: '' }))).toEqual([]);
    expect(parseChunk(chunk({ content: 'Hi' }, 'stop'))).toEqual([
      { kind: 'content', text: 'Hi' },
      { kind: 'finish', reason: 'stop' },
    ]);
    expect(parseChunk('[DONE]')).toEqual([]);
    expect(parseChunk(JSON.stringify({ choices: [], usage: { completion_tokens: 3 } }))).toEqual(
      [],
    );
  });

  it('an error chunk or a malformed one is an error with its message', () => {
    expect(() => parseChunk(JSON.stringify({ error: { message: 'sidecar went away' } }))).toThrow(
      'sidecar went away',
    );
    expect(() => parseChunk(JSON.stringify({ error: 'plain' }))).toThrow('plain');
    expect(() => parseChunk('{"choices": [')).toThrow(/malformed/);
    expect(() => parseChunk(JSON.stringify({ choices: 'nope' }))).toThrow(/unexpected/);
  });
});
