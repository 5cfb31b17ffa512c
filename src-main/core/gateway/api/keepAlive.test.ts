// Pings before the first token, through the real gateway handler: they start the stream, the backend's
// own frames follow untouched, and a backend that fails after them ends the stream with an error event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sseParser } from '#shared/sse.ts';
import { makeTempDir } from '../../../../test-support/tmp.ts';
import { startGateway, type GatewayServer } from '../../../../test-support/gateway/kit.ts';
import type { LocalBackend } from '../upstream/attempt.ts';

const frame = (type: string, data: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** A local backend whose /v1/messages stream stays silent for `delayMs`, then sends `body`. */
function slowBackend(delayMs: number, body: string): LocalBackend {
  return {
    request: () =>
      Promise.resolve(
        new Response(
          new ReadableStream({
            start(c) {
              setTimeout(() => {
                c.enqueue(new TextEncoder().encode(body));
                c.close();
              }, delayMs);
            },
          }),
          { headers: { 'content-type': 'text/event-stream' } },
        ),
      ),
  };
}

async function events(gw: GatewayServer): Promise<Array<{ event?: string; data: string }>> {
  const res = await fetch(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'm',
      max_tokens: 4,
      stream: true,
      messages: [{ role: 'user', content: 'x' }],
    }),
  });
  expect(res.status).toBe(200);
  const p = sseParser();
  return [...p.push(new Uint8Array(await res.arrayBuffer())), ...p.end()];
}

describe('pings while the gateway waits for a first token', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  const servers: GatewayServer[] = [];
  const start = async (local: LocalBackend) => {
    const gw = await startGateway({
      dir: tmp.dir,
      local,
      localModels: () => Promise.resolve(['m']),
      pingIntervalMs: 10,
    });
    servers.push(gw);
    return gw;
  };

  beforeAll(() => {
    tmp = makeTempDir();
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    tmp?.cleanup();
  });

  it('pings first, then the answer as the backend sent it', async () => {
    const answer =
      frame('message_start', { message: { id: 'msg_1', usage: { input_tokens: 3 } } }) +
      frame('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
      frame('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'hi' } }) +
      frame('content_block_stop', { index: 0 }) +
      frame('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 1 } }) +
      frame('message_stop', {});
    const got = await events(await start(slowBackend(120, answer)));
    const names = got.map((e) => e.event);
    const first = names.indexOf('message_start');
    expect(first).toBeGreaterThan(0);
    expect(names.slice(0, first).every((n) => n === 'ping')).toBe(true);
    expect(names.slice(first)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('a backend that fails after the pings ends the stream with an error event', async () => {
    const failure = frame('error', { error: { type: 'overloaded_error', message: 'busy' } });
    const got = await events(await start(slowBackend(80, failure)));
    expect(got[0]!.event).toBe('ping');
    const last = got.at(-1)!;
    expect(last.event).toBe('error');
    expect(JSON.parse(last.data)).toMatchObject({
      type: 'error',
      error: { type: expect.any(String) },
    });
  });
});
