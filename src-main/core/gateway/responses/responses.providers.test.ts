// Responses requests routed to cloud providers, played by small local HTTP servers: an OpenAI-format
// provider gets the body as it is at /responses, an Anthropic-format one gets it translated to messages.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test-support/tmp.ts';
import {
  NO_SIDECAR,
  startGateway,
  type GatewayServer,
} from '../../../../test-support/gateway/kit.ts';

interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** A provider stand-in: records each request and answers with what `reply` gives. */
async function stub(
  reply: (s: Seen, res: http.ServerResponse) => void,
): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const s = {
        path: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>,
      };
      seen.push(s);
      reply(s, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

const sse = (res: http.ServerResponse, events: Array<Record<string, unknown>>) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const e of events) res.write(`event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`);
  res.end();
};

const RESPONSE = {
  id: 'resp_cloud1',
  object: 'response',
  created_at: 1,
  status: 'completed',
  model: 'gpt-x',
  output: [
    {
      id: 'msg_c1',
      type: 'message',
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: 'From the cloud.', annotations: [] }],
    },
  ],
  usage: { input_tokens: 7, output_tokens: 3, total_tokens: 10 },
};

describe('Responses toward providers', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let gw: GatewayServer;
  let oa: OpenAI;
  let openaiP: Awaited<ReturnType<typeof stub>>;
  let anthropicP: Awaited<ReturnType<typeof stub>>;
  let failing: Awaited<ReturnType<typeof stub>>;

  beforeAll(async () => {
    tmp = makeTempDir();
    openaiP = await stub((s, res) => {
      if (s.body.stream === true) {
        const msg = RESPONSE.output[0]!;
        const at = { item_id: 'msg_c1', output_index: 0 };
        const part = { type: 'output_text', text: '', annotations: [] };
        sse(
          res,
          [
            {
              type: 'response.created',
              response: { ...RESPONSE, status: 'in_progress', output: [] },
            },
            {
              type: 'response.output_item.added',
              output_index: 0,
              item: { ...msg, status: 'in_progress', content: [] },
            },
            { type: 'response.content_part.added', ...at, content_index: 0, part },
            {
              type: 'response.output_text.delta',
              ...at,
              content_index: 0,
              delta: 'From the cloud.',
            },
            { type: 'response.output_item.done', output_index: 0, item: msg },
            { type: 'response.completed', response: RESPONSE },
          ].map((e, i) => ({ ...e, sequence_number: i })),
        );
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(RESPONSE));
      }
    });
    anthropicP = await stub((s, res) => {
      const message = {
        id: 'msg_a1',
        type: 'message',
        role: 'assistant',
        model: 'claude-x',
        content: [
          { type: 'thinking', thinking: 'Hmm.', signature: 's' },
          { type: 'text', text: 'Let me look.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
        ],
        stop_reason: 'tool_use',
        stop_sequence: null,
        usage: { input_tokens: 11, output_tokens: 5 },
      };
      if (s.body.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(message));
        return;
      }
      sse(res, [
        {
          type: 'message_start',
          message: { ...message, content: [], usage: { input_tokens: 11, output_tokens: 0 } },
        },
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me ' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'look.' } },
        { type: 'content_block_stop', index: 0 },
        {
          type: 'content_block_start',
          index: 1,
          content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} },
        },
        {
          type: 'content_block_delta',
          index: 1,
          delta: { type: 'input_json_delta', partial_json: '{"city":' },
        },
        {
          type: 'content_block_delta',
          index: 1,
          delta: { type: 'input_json_delta', partial_json: '"Paris"}' },
        },
        { type: 'content_block_stop', index: 1 },
        { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 5 } },
        { type: 'message_stop' },
      ]);
    });
    failing = await stub((_s, res) => {
      res
        .writeHead(503, { 'content-type': 'application/json' })
        .end('{"error":{"message":"down"}}');
    });
    gw = await startGateway({
      dir: tmp.dir,
      local: NO_SIDECAR,
      localModels: () => Promise.resolve([]),
    });
    const r = gw.gateway.routing;
    const oaP = r.addProvider({
      name: 'oa',
      format: 'openai',
      baseUrl: `${openaiP.url}/v1`,
      models: ['gpt-x'],
      apiKey: 'sk-oa',
    });
    const anP = r.addProvider({
      name: 'an',
      format: 'anthropic',
      baseUrl: anthropicP.url,
      models: ['claude-x'],
      apiKey: 'sk-an',
    });
    const down = r.addProvider({
      name: 'down',
      format: 'openai',
      baseUrl: `${failing.url}/v1`,
      models: ['gpt-down'],
    });
    r.addRule({
      pattern: 'flaky',
      target: { kind: 'provider', providerId: down.id, model: 'gpt-down' },
      fallbacks: [{ kind: 'provider', providerId: oaP.id, model: 'gpt-x' }],
    });
    r.addRule({
      pattern: 'gpt-x',
      target: { kind: 'provider', providerId: oaP.id, model: 'gpt-x' },
    });
    r.addRule({
      pattern: 'claude-x',
      target: { kind: 'provider', providerId: anP.id, model: 'claude-x' },
    });
    oa = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'local', maxRetries: 0 });
  });

  afterAll(async () => {
    await gw?.close();
    await Promise.all([openaiP?.close(), anthropicP?.close(), failing?.close()]);
    tmp?.cleanup();
  });

  it('an OpenAI-format provider gets the Responses body as it is, with its key', async () => {
    const body = {
      model: 'gpt-x',
      input: 'Hi',
      tools: [{ type: 'web_search' as const }],
      include: ['reasoning.encrypted_content' as const],
      store: false,
      service_tier: 'flex' as const,
    };
    const r = await oa.responses.create(body);
    expect(r.output_text).toBe('From the cloud.');
    const s = openaiP.seen.at(-1)!;
    expect(s.path).toBe('/v1/responses');
    expect(s.headers.authorization).toBe('Bearer sk-oa');
    expect(s.body).toEqual(body);
  });

  it('a local previous_response_id is spelled out as input for the provider; its answer is stored here', async () => {
    const r1 = await oa.responses.create({ model: 'gpt-x', input: 'One' });
    expect(r1.id).toBe('resp_cloud1');
    await oa.responses.create({ model: 'gpt-x', input: 'Two', previous_response_id: r1.id });
    const s = openaiP.seen.at(-1)!;
    expect(s.body.previous_response_id).toBeUndefined();
    expect(s.body.input).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'One' }] },
      {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'From the cloud.', annotations: [] }],
      },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Two' }] },
    ]);
  });

  it('streams from an OpenAI-format provider pass through; a failing provider falls back first', async () => {
    const stream = oa.responses.stream({ model: 'flaky', input: 'Hi', store: false });
    const types: string[] = [];
    for await (const ev of stream) types.push(ev.type);
    expect(types).toEqual([
      'response.created',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_item.done',
      'response.completed',
    ]);
    gw.gateway.audit.flush();
    const row = gw.gateway.audit.query({ limit: 1 })[0]!;
    expect(row).toMatchObject({
      endpoint: '/v1/responses',
      fallback: true,
      status: 200,
      promptTokens: 7,
      completionTokens: 3,
    });
  });

  it('an Anthropic-format provider gets messages; the answer comes back as Responses items', async () => {
    const r = await oa.responses.create({
      model: 'claude-x',
      instructions: 'Be brief.',
      input: 'Weather in Paris?',
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          parameters: { type: 'object', properties: {} },
          strict: false,
        },
      ],
      max_output_tokens: 50,
    });
    const s = anthropicP.seen.at(-1)!;
    expect(s.path).toBe('/v1/messages');
    expect(s.headers['x-api-key']).toBe('sk-an');
    expect(s.body).toMatchObject({
      model: 'claude-x',
      system: 'Be brief.',
      max_tokens: 50,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] }],
      tools: [{ name: 'get_weather' }],
    });
    expect(r.output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call']);
    expect(r.output_text).toBe('Let me look.');
    expect(r.output[2]).toMatchObject({
      call_id: 'toolu_1',
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
    });
    expect(r.usage).toMatchObject({ input_tokens: 11, output_tokens: 5 });
  });

  it('an Anthropic-format provider, streamed: Responses events from its message events', async () => {
    const stream = oa.responses.stream({ model: 'claude-x', input: 'Weather?', store: false });
    const types: string[] = [];
    for await (const ev of stream) types.push(ev.type);
    const final = await stream.finalResponse();
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toContain('response.function_call_arguments.delta');
    expect(final.output_text).toBe('Let me look.');
    expect(final.output[1]).toMatchObject({ type: 'function_call', arguments: '{"city":"Paris"}' });
    expect(final.usage).toMatchObject({ input_tokens: 11, output_tokens: 5 });
  });
});
