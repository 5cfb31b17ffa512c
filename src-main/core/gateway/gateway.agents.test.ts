// What agent clients send and read, through the real gateway to the real sidecar on fixture models: the
// Anthropic SDK as Claude Code drives it (system messages inside messages, prefix-cache usage, pings), the
// model listings in OpenAI, Anthropic and LM Studio shapes, and the window rule in each API's error shape.
import crypto from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sseParser } from '#shared/sse.ts';
import type { Supervisor } from '../sidecar/index.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import {
  buildFixtures,
  fixture,
  startGateway,
  startSidecar,
  type Fixture,
  type GatewayServer,
} from '../../../test-support/gateway/kit.ts';

const LLAMA = 'orchard-fixtures/random-llama'; // window 4096 from its config, a Llama 3 template
// A long system prompt both calls share: Claude Code's own is ~4k tokens.
const SYSTEM = `You are a coding agent. ${Array.from({ length: 80 }, (_, i) => `rule${i} applies`).join(' ')}`;

function words(n: number, tag = 'w'): string {
  return Array.from({ length: n }, (_, i) => `${tag}${i} banana`).join(' ');
}

describe('agent clients through the gateway to the real sidecar', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let fixtures: Fixture[];
  let sup: Supervisor;
  let gw: GatewayServer;
  let oa: OpenAI;
  let an: Anthropic;

  beforeAll(async () => {
    tmp = makeTempDir();
    fixtures = buildFixtures(`${tmp.dir}/hub`);
    sup = await startSidecar(`${tmp.dir}/hub`, tmp.dir);
    gw = await startGateway({ dir: tmp.dir, local: sup, pingIntervalMs: 30 });
    oa = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'local', maxRetries: 0 });
    an = new Anthropic({ baseURL: gw.url, apiKey: 'local', maxRetries: 0 });
  }, 240_000);

  afterAll(async () => {
    await gw?.close();
    await sup?.stop();
    tmp?.cleanup();
  });

  const hermes = () => fixture(fixtures, 'scripted-tools-hermes');
  const count = async (
    model: string,
    messages: Anthropic.MessageParam[],
    system?: Anthropic.MessageCountTokensParams['system'],
  ) =>
    (await an.messages.countTokens({ model, messages, ...(system ? { system } : {}) }))
      .input_tokens;

  it('accepts system messages inside messages, as Claude Code 2.1 sends them', async () => {
    const messages = [
      { role: 'user', content: 'hi' },
      { role: 'system', content: [{ type: 'text', text: 'MCP server instructions.' }] },
      { role: 'assistant', content: 'hello' },
      { role: 'system', content: 'Remember: be brief.' },
      { role: 'user', content: 'go' },
    ] as unknown as Anthropic.MessageParam[]; // the SDK's types predate the shape
    const msg = await an.messages.create({
      model: hermes().repo_id,
      max_tokens: 16,
      system: [
        { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.9.abc; cch=1a2b3;' },
        { type: 'text', text: 'You are an agent.' },
      ],
      messages,
      thinking: { type: 'adaptive' } as unknown as Anthropic.ThinkingConfigParam,
      ...({ output_config: { effort: 'low' }, context_management: { edits: [] } } as object),
    });
    expect(msg.type).toBe('message');
    expect(msg.usage.output_tokens).toBeGreaterThan(0);
  });

  it('reports the prefix cache on the second call: cache reads apart, input + cache read = the prompt', async () => {
    const system = (cch: string): Anthropic.TextBlockParam[] => [
      { type: 'text', text: `x-anthropic-billing-header: cc_version=2.1.9.abc; cch=${cch};` },
      { type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } },
    ];
    const first: Anthropic.MessageParam[] = [{ role: 'user', content: 'first question' }];
    const one = await an.messages.create({
      model: LLAMA,
      max_tokens: 4,
      system: system('00001'),
      messages: first,
    });
    expect(one.usage.input_tokens + (one.usage.cache_read_input_tokens ?? 0)).toBe(
      await count(LLAMA, first, system('00001')),
    );
    // The billing line changes every call, as Claude Code's does: it is kept out of the prompt.
    const second: Anthropic.MessageParam[] = [
      { role: 'user', content: 'a second, longer question' },
    ];
    const starts: Anthropic.Usage[] = [];
    const stream = an.messages.stream({
      model: LLAMA,
      max_tokens: 4,
      system: system('00002'),
      messages: second,
    });
    stream.on('streamEvent', (e) => {
      if (e.type === 'message_start') starts.push(e.message.usage);
    });
    const two = await stream.finalMessage();
    const total = await count(LLAMA, second, system('00002'));
    expect(two.usage.cache_read_input_tokens).toBeGreaterThan(200);
    expect(two.usage.cache_creation_input_tokens).toBe(0);
    expect(two.usage.input_tokens + two.usage.cache_read_input_tokens!).toBe(total);
    expect(starts[0]).toMatchObject({
      input_tokens: two.usage.input_tokens,
      cache_read_input_tokens: two.usage.cache_read_input_tokens,
    });
    // The audit row counts the whole prompt, as for OpenAI's prompt_tokens.
    gw.gateway.audit.flush();
    const row = gw.gateway.audit
      .query({ limit: 100 })
      .find((r) => r.endpoint === '/v1/messages' && r.streamed);
    expect(row?.promptTokens).toBe(total);
  });

  it('sends pings while a long prompt is prefilled, before any backend frame', async () => {
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: LLAMA,
        max_tokens: 2,
        stream: true,
        messages: [{ role: 'user', content: words(300, crypto.randomUUID().slice(0, 4)) }],
      }),
    });
    expect(res.status).toBe(200);
    const parser = sseParser();
    const names = [...parser.push(new Uint8Array(await res.arrayBuffer())), ...parser.end()].map(
      (e) => e.event,
    );
    const start = names.indexOf('message_start');
    expect(names.slice(0, start).length).toBeGreaterThan(0);
    expect(names.slice(0, start).every((n) => n === 'ping')).toBe(true);
    expect(names.at(-1)).toBe('message_stop');
  });

  it('lists models in the OpenAI shape with window, loaded state, capabilities and quantization', async () => {
    await oa.chat.completions.create({
      model: hermes().repo_id,
      max_tokens: 1,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const list = (await oa.models.list()).data as unknown as Array<Record<string, unknown>>;
    const llama = list.find((m) => m.id === LLAMA)!;
    expect(llama).toMatchObject({ context_length: 4096, max_context_length: 4096 });
    expect(llama.capabilities).toEqual(expect.arrayContaining(['completion']));
    expect(list.find((m) => m.id === hermes().repo_id)).toMatchObject({
      loaded: true,
      capabilities: ['completion', 'tools'],
    });
    expect(list.find((m) => m.id === fixture(fixtures, 'scripted-reasoner').repo_id)).toMatchObject(
      { loaded: false, capabilities: expect.arrayContaining(['thinking']) },
    );
    expect(list.every((m) => 'quantization' in m)).toBe(true);
  });

  it('lists models in the Anthropic shape when anthropic-version is sent', async () => {
    const page = await an.models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(fixtures.map((f) => f.repo_id)));
    expect(page.data[0]).toMatchObject({ type: 'model', display_name: page.data[0]!.id });
    expect(Date.parse(page.data[0]!.created_at)).not.toBeNaN();
    const raw = (await (
      await fetch(`${gw.url}/v1/models`, { headers: { 'anthropic-version': '2023-06-01' } })
    ).json()) as Record<string, unknown>;
    expect(raw).toMatchObject({ has_more: false, first_id: ids[0], last_id: ids.at(-1) });
    expect((await an.models.retrieve(LLAMA)).id).toBe(LLAMA);
  });

  it("serves LM Studio's /api/v0/models with its fields", async () => {
    const body = (await (await fetch(`${gw.url}/api/v0/models`)).json()) as {
      object: string;
      data: Array<Record<string, unknown>>;
    };
    expect(body.object).toBe('list');
    const llama = body.data.find((m) => m.id === LLAMA)!;
    expect(llama).toMatchObject({
      object: 'model',
      type: 'llm',
      publisher: 'orchard-fixtures',
      arch: 'llama',
      compatibility_type: 'mlx',
      max_context_length: 4096,
    });
    expect(['loaded', 'not-loaded']).toContain(llama.state);
    const loaded = body.data.find((m) => m.id === hermes().repo_id)!;
    expect(loaded).toMatchObject({ state: 'loaded', loaded_context_length: 8192 });
    expect(loaded.capabilities).toEqual(['tool_use']);
    const one = await fetch(`${gw.url}/api/v0/models/${LLAMA}`);
    expect(await one.json()).toMatchObject({ id: LLAMA, max_context_length: 4096 });
    const missing = await fetch(`${gw.url}/api/v0/models/nobody/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "The model 'nobody/nothing' does not exist." });
  });

  it("refuses a prompt longer than the window with the numbers, in each API's error shape", async () => {
    const messages = [{ role: 'user' as const, content: words(600) }];
    const n = await count(LLAMA, messages);
    expect(n).toBeGreaterThan(4096);
    const expected = `The prompt is ${n} tokens; ${LLAMA}'s window is 4096`;
    const viaOpenAI = await oa.chat.completions
      .create({ model: LLAMA, max_tokens: 8, messages })
      .catch((e: unknown) => e);
    expect(viaOpenAI).toBeInstanceOf(OpenAI.BadRequestError);
    expect((viaOpenAI as InstanceType<typeof OpenAI.BadRequestError>).code).toBe(
      'context_length_exceeded',
    );
    expect((viaOpenAI as Error).message).toContain(expected);
    const viaAnthropic = await an.messages
      .create({ model: LLAMA, max_tokens: 8, messages })
      .catch((e: unknown) => e);
    expect(viaAnthropic).toBeInstanceOf(Anthropic.BadRequestError);
    const err = (viaAnthropic as InstanceType<typeof Anthropic.BadRequestError>).error as {
      type: string;
      error: { type: string; message: string };
    };
    expect(err.type).toBe('error');
    expect(err.error.type).toBe('invalid_request_error');
    expect(err.error.message).toContain(expected);
  });

  it('a profile with context_overflow drop_oldest drops the oldest turns instead', async () => {
    const t = Date.now();
    gw.repos.profiles.insert({
      id: crypto.randomUUID(),
      name: 'long-chats',
      model: LLAMA,
      params: { context_overflow: 'drop_oldest' },
      isDefault: false,
      createdAt: t,
      updatedAt: t,
    });
    const messages: Anthropic.MessageParam[] = [];
    for (let i = 0; i < 5; i++)
      messages.push(
        { role: 'user', content: words(70, `u${i}_`) },
        { role: 'assistant', content: words(70, `a${i}_`) },
      );
    messages.push({ role: 'user', content: 'and now?' });
    expect(await count(LLAMA, messages, 'Answer briefly.')).toBeGreaterThan(4096);
    const viaAnthropic = await an.messages.create({
      model: 'long-chats',
      max_tokens: 4,
      system: 'Answer briefly.',
      messages,
    });
    const prompt = viaAnthropic.usage.input_tokens + viaAnthropic.usage.cache_read_input_tokens!;
    expect(prompt).toBeLessThanOrEqual(4096 - 4);
    // Whole turns went, oldest first: the prompt is exactly one of the shortened conversations.
    const shortened = await Promise.all(
      [1, 2, 3, 4, 5].map((k) => count(LLAMA, messages.slice(2 * k), 'Answer briefly.')),
    );
    expect(shortened).toContain(prompt);
    const viaOpenAI = await oa.chat.completions.create({
      model: 'long-chats',
      max_tokens: 4,
      messages: [{ role: 'system', content: 'Answer briefly.' }, ...messages] as never,
    });
    expect(viaOpenAI.usage!.prompt_tokens).toBe(prompt);
  });
});
