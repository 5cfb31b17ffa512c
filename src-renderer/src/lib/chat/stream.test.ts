// The gateway stream reader: frames split anywhere, reasoning vs content, usage, errors, [DONE].
import { describe, expect, it } from 'vitest';
import { parseChunk, readSse, type StreamEvent } from './stream.ts';

function streamOf(parts: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const p of parts) c.enqueue(enc.encode(p));
      c.close();
    },
  });
}

async function collect(parts: string[]): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of readSse(streamOf(parts))) out.push(e);
  return out;
}

const frame = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;

describe('readSse', () => {
  it('yields reasoning then content, finish and usage, across arbitrary splits', async () => {
    const text =
      frame({ choices: [{ delta: { role: 'assistant', reasoning_content: 'Let me' } }] }) +
      frame({ choices: [{ delta: { reasoning_content: ' count' } }] }) +
      frame({ choices: [{ delta: { content: 'The ' } }] }) +
      frame({ choices: [{ delta: { content: 'numbers' }, finish_reason: null }] }) +
      frame({ choices: [{ delta: {}, finish_reason: 'stop' }] }) +
      frame({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 31 } }) +
      'data: [DONE]\n\n';
    const expected: StreamEvent[] = [
      { kind: 'reasoning', text: 'Let me' },
      { kind: 'reasoning', text: ' count' },
      { kind: 'content', text: 'The ' },
      { kind: 'content', text: 'numbers' },
      { kind: 'finish', reason: 'stop' },
      { kind: 'usage', completionTokens: 31, promptTokens: 9 },
    ];
    expect(await collect([text])).toEqual(expected);
    // One byte at a time, and with CRLF line ends: same events.
    expect(await collect([...text])).toEqual(expected);
    expect(await collect([text.replace(/\n/g, '\r\n')])).toEqual(expected);
  });

  it('reads speculative decoding counts from the usage, only when present', () => {
    const usage = {
      prompt_tokens: 4,
      completion_tokens: 20,
      orchard: {
        speculative: { method: 'prompt_lookup', applied: true, proposed: 30, accepted: 17 },
      },
    };
    expect(parseChunk(JSON.stringify({ choices: [], usage }))).toEqual([
      {
        kind: 'usage',
        completionTokens: 20,
        promptTokens: 4,
        spec: { proposed: 30, accepted: 17 },
      },
    ]);
    expect(parseChunk(JSON.stringify({ choices: [], usage: { completion_tokens: 3 } }))).toEqual([
      { kind: 'usage', completionTokens: 3, promptTokens: null },
    ]);
  });

  it('keeps multi-byte characters split across chunks intact', async () => {
    const bytes = new TextEncoder().encode(
      frame({ choices: [{ delta: { content: 'héllo 🌳' } }] }),
    );
    const parts = [bytes.slice(0, 40), bytes.slice(40, 43), bytes.slice(43)];
    const s = new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(p);
        c.close();
      },
    });
    const out: StreamEvent[] = [];
    for await (const e of readSse(s)) out.push(e);
    expect(out).toEqual([{ kind: 'content', text: 'héllo 🌳' }]);
  });

  it('turns error frames and malformed chunks into error events', () => {
    expect(parseChunk(JSON.stringify({ error: { message: 'the backend stream broke' } }))).toEqual([
      { kind: 'error', message: 'the backend stream broke' },
    ]);
    expect(parseChunk('{not json')).toEqual([
      { kind: 'error', message: 'the gateway sent a malformed stream chunk' },
    ]);
    expect(parseChunk('[DONE]')).toEqual([]);
    expect(parseChunk('')).toEqual([]);
  });
});
