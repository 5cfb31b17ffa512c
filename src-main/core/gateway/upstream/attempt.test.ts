// Streams passed through unchanged after the first token: chunks are forwarded as they came, but usage
// is still read (and hidden from a caller that did not ask) and an error event still ends the stream.
import { describe, expect, it } from 'vitest';
import type { FrameSource } from '../translate/framer.ts';
import { attempt } from './attempt.ts';
import type { Outcome } from './outcome.ts';

const enc = new TextEncoder();
const chunk = (delta: object, extra: object = {}) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }], usage: null, ...extra })}\n\n`;

/** One attempt at a local backend answering with these SSE chunks, one network chunk each. */
async function streamFrom(chunks: string[], body: Record<string, unknown> = {}) {
  const res = new Response(
    new ReadableStream<Uint8Array>({
      start(ctrl) {
        for (const c of chunks) ctrl.enqueue(enc.encode(c));
        ctrl.close();
      },
    }),
    { status: 200, headers: { 'content-type': 'text/event-stream' } },
  );
  const outcome: Outcome = await attempt({
    endpoint: 'chat',
    body: { model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true, ...body },
    backend: { kind: 'local', model: 'm', params: {}, via: 'local:m' },
    headers: {},
    signal: new AbortController().signal,
    local: { request: () => Promise.resolve(res) },
    providerKey: () => null,
  });
  if (outcome.kind !== 'stream') throw new Error(`expected a stream, got ${outcome.kind}`);
  return outcome;
}

async function drain(frames: FrameSource): Promise<string> {
  let out = '';
  for (;;) {
    const step = await frames.next();
    if (step.done) return out;
    out += step.value.frames.join('');
  }
}

describe('stream pass-through', () => {
  const tricky = [
    chunk({ role: 'assistant', content: '' }),
    chunk({ content: 'The word "error" and "usage":{ in text' }),
    chunk({ content: ' stay as they are' }),
  ];

  it('forwards chunks byte for byte, reads usage, and hides it from a caller that did not ask', async () => {
    const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
    const last = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [], usage })}\n\n`;
    const hidden = await streamFrom([...tricky, last, 'data: [DONE]\n\n']);
    expect(await drain(hidden.frames)).toBe(`${tricky.join('')}data: [DONE]\n\n`);
    expect(hidden.usage()).toEqual({ promptTokens: 3, completionTokens: 2 });

    const shown = await streamFrom([...tricky, last, 'data: [DONE]\n\n'], {
      stream_options: { include_usage: true },
    });
    expect(await drain(shown.frames)).toBe(`${tricky.join('')}${last}data: [DONE]\n\n`);
  });

  it('an error event after the first token still ends the stream with that error', async () => {
    const error = `data: ${JSON.stringify({ error: { message: 'generation failed', type: 'server_error' } })}\n\n`;
    const s = await streamFrom([...tricky, error, 'data: [DONE]\n\n']);
    await expect(drain(s.frames)).rejects.toMatchObject({
      status: 502,
      code: 'server_error',
      message: 'generation failed',
    });
  });
});
