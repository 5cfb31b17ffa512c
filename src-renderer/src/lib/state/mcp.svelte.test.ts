// McpState and the chat's tool loop against an in-memory core (mcp.* and conversations.*) and a
// stand-in gateway that answers each request with planned SSE chunks: confirm, decline, always
// allow, the round limit, and the history sent back to the model with the calls and results.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { McpServerView, McpTool } from '#shared/contract/mcp.ts';
import { appWith, FakeCore, memoryStorage } from '../../../test/fakeCore.ts';
import { mcpServer, message } from '../../../test/fixtures.ts';
import { ChatState } from './chat.svelte.ts';

type Message = ReturnType<typeof message>;

const server = mcpServer;
const ECHO: McpTool = {
  name: 'echo',
  serverId: 's1',
  serverName: 'everything',
  tool: 'echo',
  description: 'Echoes back the input string',
  parameters: { type: 'object', properties: { message: { type: 'string' } } },
  permission: 'ask',
};

const sse = (chunks: object[]): string =>
  [...chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`), 'data: [DONE]\n\n'].join('');
const callChunks = (args: string) => [
  {
    choices: [
      {
        delta: {
          tool_calls: [
            { index: 0, id: 'call_1', type: 'function', function: { name: 'echo', arguments: '' } },
          ],
        },
        finish_reason: null,
      },
    ],
  },
  {
    choices: [
      { delta: { tool_calls: [{ index: 0, function: { arguments: args } }] }, finish_reason: null },
    ],
  },
  { choices: [{ delta: {}, finish_reason: 'tool_calls' }] },
];
const answerChunks = (text: string) => [
  { choices: [{ delta: { content: text }, finish_reason: null }] },
  { choices: [{ delta: {}, finish_reason: 'stop' }] },
];

/** The gateway: request n gets plan[n]; every body is kept. */
function gateway(plan: object[][]) {
  const bodies: Array<Record<string, unknown>> = [];
  const fetch = vi.fn(async (_url: string, init: RequestInit) => {
    bodies.push(JSON.parse(String(init.body)) as Record<string, unknown>);
    const chunks = plan[bodies.length - 1] ?? answerChunks('(unplanned)');
    return new Response(sse(chunks), {
      status: 200,
      headers: { 'content-type': 'text/event-stream', 'x-orchard-route': 'local' },
    });
  });
  return { fetch, bodies };
}

function core(servers: McpServerView[]) {
  const messages: Message[] = [];
  let next = 1;
  let list = servers;
  const c = new FakeCore()
    .answer('conversations.list', () => [])
    .answer('conversations.create', () => ({
      id: 'c1',
      title: 'Untitled chat',
      profileId: null,
      createdAt: 1,
      updatedAt: 1,
    }))
    .answer('conversations.rename', ({ id, title }) => ({
      id,
      title,
      profileId: null,
      createdAt: 1,
      updatedAt: 2,
    }))
    .answer('conversations.addMessage', ({ conversationId, role, content, reasoning, meta }) => {
      const m = message(next++, conversationId, {
        role,
        content,
        reasoning: reasoning ?? null,
        meta: meta ?? null,
      });
      messages.push(m);
      return m;
    })
    .answer('mcp.list', () => list)
    .answer('mcp.tools', () => ({
      tools: list.filter((s) => s.enabled).map(() => ({ ...ECHO })),
      errors: [],
    }))
    .answer('mcp.update', ({ id, patch }) => {
      list = list.map((s) => (s.id === id ? { ...s, ...patch } : s) as McpServerView);
      return list.find((s) => s.id === id)!;
    })
    .answer('mcp.call', ({ arguments: a }) => ({
      content: `Echo: ${String(a.message)}`,
      isError: false,
      durationMs: 3,
    }));
  return { core: c, messages };
}

describe('the chat tool loop', () => {
  beforeEach(() => {
    vi.stubGlobal('localStorage', memoryStorage());
  });
  afterEach(() => vi.unstubAllGlobals());

  async function ready(servers = [server()], plan: object[][] = []) {
    const k = core(servers);
    const gw = gateway(plan);
    vi.stubGlobal('fetch', gw.fetch);
    const chat = new ChatState(appWith(k.core));
    chat.selection = { kind: 'model', id: 'org/tools' };
    await chat.init();
    await chat.tools.refresh();
    return { ...k, gw, chat };
  }

  it('asks, runs the confirmed call in core, stores it, and sends the result back to the model', async () => {
    const {
      chat,
      core: c,
      messages,
      gw,
    } = await ready([server()], [callChunks('{"message":"hi"}'), answerChunks('It said hi.')]);
    const sent = chat.send('Echo hi');
    await vi.waitFor(() => expect(chat.tools.pending).not.toBeNull());
    expect(chat.busy).toBe(true);
    expect(chat.tools.pending).toMatchObject({
      name: 'echo',
      serverName: 'everything',
      arguments: '{"message":"hi"}',
    });
    expect(c.inputs('mcp.call')).toEqual([]);
    await chat.tools.answer('run');
    await sent;

    expect(c.inputs('mcp.call')).toEqual([
      { serverId: 's1', tool: 'echo', arguments: { message: 'hi' }, confirmed: true },
    ]);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    expect(messages[1]?.meta?.toolCalls).toEqual([
      { id: 'call_1', name: 'echo', arguments: '{"message":"hi"}' },
    ]);
    expect(messages[2]).toMatchObject({
      content: 'Echo: hi',
      meta: { tool: { callId: 'call_1', name: 'echo', server: 'everything', isError: false } },
    });
    expect(messages[3]?.content).toBe('It said hi.');

    expect(gw.bodies[0]?.tools).toEqual([
      {
        type: 'function',
        function: { name: 'echo', description: ECHO.description, parameters: ECHO.parameters },
      },
    ]);
    expect(gw.bodies[1]?.messages).toEqual([
      { role: 'user', content: 'Echo hi' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'echo', arguments: '{"message":"hi"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'Echo: hi' },
    ]);
    expect(chat.busy).toBe(false);
  });

  it('returns a declined call to the model as an error, without running it', async () => {
    const {
      chat,
      core: c,
      messages,
    } = await ready([server()], [callChunks('{"message":"no"}'), answerChunks('Fine.')]);
    const sent = chat.send('Echo no');
    await vi.waitFor(() => expect(chat.tools.pending).not.toBeNull());
    await chat.tools.answer('decline');
    await sent;
    expect(c.inputs('mcp.call')).toEqual([]);
    expect(messages[2]).toMatchObject({
      role: 'tool',
      content: 'the user declined this tool call',
      meta: { tool: { isError: true, declined: true } },
    });
    expect(messages[3]?.content).toBe('Fine.');
  });

  it('"always allow" sets the server to allow and asks no more', async () => {
    const { chat, core: c } = await ready(
      [server()],
      [callChunks('{"message":"a"}'), callChunks('{"message":"b"}'), answerChunks('Done.')],
    );
    const sent = chat.send('Twice');
    await vi.waitFor(() => expect(chat.tools.pending).not.toBeNull());
    await chat.tools.answer('always');
    await sent;
    expect(c.inputs('mcp.update')).toEqual([{ id: 's1', patch: { permission: 'allow' } }]);
    expect(c.inputs('mcp.call').map((x) => x.arguments)).toEqual([
      { message: 'a' },
      { message: 'b' },
    ]);
  });

  it('ends the loop after the set rounds, giving the unrun call a result', async () => {
    const {
      chat,
      core: c,
      messages,
    } = await ready(
      [server({ permission: 'allow' })],
      [callChunks('{"message":"1"}'), callChunks('{"message":"2"}'), answerChunks('never')],
    );
    chat.settings.toolRounds = 1;
    await chat.send('Loop');
    expect(c.inputs('mcp.call')).toHaveLength(1);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant', 'tool']);
    expect(messages[4]).toMatchObject({
      content: expect.stringContaining('limit of tool rounds'),
      meta: { tool: { isError: true } },
    });
    expect(chat.toolNotice).toBe('Stopped after 1 rounds of tool calls.');
  });

  it('offers no tools when no server is enabled or tools are switched off', async () => {
    const { chat, gw, core: c } = await ready([server({ enabled: false })], [answerChunks('Hi.')]);
    await chat.send('Hello');
    expect(gw.bodies[0]).not.toHaveProperty('tools');
    expect(c.inputs('mcp.tools')).toEqual([]);
    chat.settings.useTools = false;
    await chat.tools.update('s1', { enabled: true });
    await chat.send('Again');
    expect(gw.bodies[1]).not.toHaveProperty('tools');
  });

  it('stopping while a call waits declines it and ends the answer', async () => {
    const { chat, core: c, messages, gw } = await ready([server()], [callChunks('{}')]);
    const sent = chat.send('Stop me');
    await vi.waitFor(() => expect(chat.tools.pending).not.toBeNull());
    chat.stop();
    await sent;
    expect(c.inputs('mcp.call')).toEqual([]);
    expect(messages.at(-1)).toMatchObject({ role: 'tool', meta: { tool: { declined: true } } });
    expect(gw.bodies).toHaveLength(1);
    expect(chat.busy).toBe(false);
  });
});
