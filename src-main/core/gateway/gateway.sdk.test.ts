// The official `openai` and `@anthropic-ai/sdk` clients against the gateway in front of the real
// sidecar: what a client gets through the gateway equals what the sidecar gives directly.
import fs from 'node:fs';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Supervisor } from '../sidecar/index.ts';
import type { LocalBackend } from './upstream/attempt.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import {
  buildFixtures,
  fixture,
  startGateway,
  startSidecar,
  type Fixture,
  type GatewayServer,
} from '../../../test-support/gateway/kit.ts';

describe('official SDKs through the gateway to the real sidecar', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let fixtures: Fixture[];
  let sup: Supervisor;
  let gw: GatewayServer;
  let oa: OpenAI;
  let direct: OpenAI;
  let an: Anthropic;
  let anDirect: Anthropic;

  beforeAll(async () => {
    tmp = makeTempDir();
    fixtures = buildFixtures(`${tmp.dir}/hub`);
    sup = await startSidecar(`${tmp.dir}/hub`, tmp.dir);
    gw = await startGateway({ dir: tmp.dir, local: sup });
    oa = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'local', maxRetries: 0 });
    an = new Anthropic({ baseURL: gw.url, apiKey: 'local', maxRetries: 0 });
    // The sidecar itself, with its per-launch secret, for side-by-side comparison.
    const port = sup.status().port!;
    const fetchWithSecret: typeof fetch = (url, init) =>
      sup.request(new URL(String(url)).pathname, init);
    direct = new OpenAI({
      baseURL: `http://127.0.0.1:${port}/v1`,
      apiKey: 'x',
      maxRetries: 0,
      fetch: fetchWithSecret,
    });
    anDirect = new Anthropic({
      baseURL: `http://127.0.0.1:${port}`,
      apiKey: 'x',
      maxRetries: 0,
      fetch: fetchWithSecret,
    });
  }, 240_000);

  afterAll(async () => {
    await gw?.close();
    await sup?.stop();
    tmp?.cleanup();
  });

  const reasoner = () => fixture(fixtures, 'scripted-reasoner');
  const hermes = () => fixture(fixtures, 'scripted-tools-hermes');
  const rows = () => {
    gw.gateway.audit.flush();
    return gw.gateway.audit.query({ limit: 1000 });
  };

  it('lists local models from the sidecar in /v1/models', async () => {
    const ids = (await oa.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(fixtures.map((f) => f.repo_id)));
  });

  it('chat, non-streaming: same answer as the sidecar directly, usage audited', async () => {
    const req = {
      model: reasoner().repo_id,
      temperature: 0,
      max_tokens: 64,
      messages: [{ role: 'user' as const, content: 'Count.' }],
    };
    const [via, ref] = await Promise.all([
      oa.chat.completions.create(req),
      direct.chat.completions.create(req),
    ]);
    expect(via.choices[0]!.message.content).toBe(ref.choices[0]!.message.content);
    expect(via.choices[0]!.finish_reason).toBe(ref.choices[0]!.finish_reason);
    expect(via.usage).toEqual(ref.usage);
    const row = rows().find((r) => r.endpoint === '/v1/chat/completions' && !r.streamed)!;
    expect(row).toMatchObject({
      route: `local:${reasoner().repo_id}`,
      status: 200,
      promptTokens: ref.usage!.prompt_tokens,
      completionTokens: ref.usage!.completion_tokens,
    });
  });

  it('chat, streaming: same text as non-streaming; usage hidden unless asked, audited anyway', async () => {
    const base = {
      model: reasoner().repo_id,
      temperature: 0,
      max_tokens: 64,
      messages: [{ role: 'user' as const, content: 'Count.' }],
    };
    const ref = await direct.chat.completions.create(base);
    let text = '';
    let usageSeen = false;
    for await (const c of await oa.chat.completions.create({ ...base, stream: true })) {
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) usageSeen = true;
    }
    expect(text).toBe(ref.choices[0]!.message.content);
    expect(usageSeen).toBe(false);
    const withUsage = await oa.chat.completions.create({
      ...base,
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const c of withUsage) usage = c.usage ?? usage;
    expect(usage?.completion_tokens).toBe(ref.usage!.completion_tokens);
    const streamed = rows().filter((r) => r.streamed && r.endpoint === '/v1/chat/completions');
    expect(
      streamed.every(
        (r) => r.completionTokens === ref.usage!.completion_tokens && r.ttftMs !== null,
      ),
    ).toBe(true);
  });

  it('speculative decoding: same greedy answer as plain, counts in usage and on the audit row', async () => {
    const base = {
      model: 'orchard-fixtures/random-llama',
      temperature: 0,
      max_tokens: 32,
      messages: [{ role: 'user' as const, content: 'one two three four '.repeat(8) }],
    };
    const spec = { speculative: { method: 'prompt_lookup' } };
    const plain = await oa.chat.completions.create(base);
    const fast = await oa.chat.completions.create({ ...base, ...spec } as typeof base);
    expect(fast.choices[0]!.message.content).toBe(plain.choices[0]!.message.content);
    const counts = (fast.usage as unknown as { orchard: { speculative: Record<string, number> } })
      .orchard.speculative;
    expect(counts.proposed).toBeGreaterThan(0);
    expect(fast.usage?.completion_tokens_details?.accepted_prediction_tokens).toBe(counts.accepted);
    let text = '';
    for await (const c of await oa.chat.completions.create({
      ...base,
      ...spec,
      stream: true,
    } as typeof base & { stream: true }))
      text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe(plain.choices[0]!.message.content);
    const audited = rows().filter((r) => r.model === base.model && r.specProposed !== undefined);
    expect(audited.map((r) => r.streamed).sort()).toEqual([false, true]);
    for (const r of audited)
      expect(r).toMatchObject({ specProposed: counts.proposed, specAccepted: counts.accepted });
    const plainRow = rows().find((r) => r.model === base.model && r.specProposed === undefined);
    expect(plainRow?.completionTokens).toBe(plain.usage!.completion_tokens);
  });

  it('speculative and kv_bits on the Anthropic, Responses and Ollama APIs, as on chat completions', async () => {
    const model = 'orchard-fixtures/random-llama';
    const content = 'one two three four '.repeat(8);
    const spec = { speculative: { method: 'prompt_lookup' } };
    type Spec = { orchard?: { speculative?: Record<string, number | string | boolean> } };
    // temperature too goes as an extra body field: this SDK's types no longer list it.
    const base = { model, max_tokens: 32, messages: [{ role: 'user' as const, content }] };
    const greedy = { ...base, temperature: 0 } as typeof base;
    // The Anthropic SDK passes unknown body fields on as they are.
    const plain = await an.messages.create(greedy);
    const fast = await an.messages.create({ ...greedy, ...spec } as typeof base);
    expect(fast.content).toEqual(plain.content);
    const counts = (fast.usage as unknown as Spec).orchard!.speculative!;
    expect(counts).toMatchObject({ method: 'prompt_lookup', applied: true });
    expect(counts.proposed).toBeGreaterThan(0);
    const stream = an.messages.stream({ ...greedy, ...spec } as typeof base);
    await stream.finalMessage();
    const audited = rows().filter((r) => r.endpoint === '/v1/messages' && r.model === model);
    expect(audited.map((r) => [r.streamed, r.specProposed])).toEqual(
      expect.arrayContaining([
        [false, counts.proposed],
        [true, counts.proposed],
      ]),
    );

    const viaResponses = await oa.responses.create({
      model,
      input: content,
      temperature: 0,
      max_output_tokens: 32,
      ...spec,
    } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
    expect(viaResponses.output_text).toBe((plain.content[0] as { text: string }).text);
    expect((viaResponses.usage as unknown as Spec).orchard!.speculative!.proposed).toBe(
      counts.proposed,
    );

    const ollama = await fetch(`${gw.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({
        model,
        stream: false,
        messages: base.messages,
        options: { temperature: 0, num_predict: 32 },
        ...spec,
      }),
    });
    expect(ollama.status).toBe(200);
    const ollamaRow = rows().find((r) => r.endpoint === '/api/chat' && r.model === model);
    expect(ollamaRow?.specProposed).toBe(counts.proposed);

    // kv_bits: only 4 or 8, refused with a 400 naming it in each API's own error shape.
    const bad = { kv_bits: 5 };
    await expect(an.messages.create({ ...base, ...bad } as typeof base)).rejects.toMatchObject({
      status: 400,
    });
    await expect(
      oa.responses.create({
        model,
        input: 'hi',
        ...bad,
      } as OpenAI.Responses.ResponseCreateParamsNonStreaming),
    ).rejects.toMatchObject({ status: 400 });
    for (const body of [
      { model, stream: false, messages: base.messages, ...bad },
      { model, stream: false, messages: base.messages, options: bad },
    ]) {
      const r = await fetch(`${gw.url}/api/chat`, { method: 'POST', body: JSON.stringify(body) });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: string }).error).toContain('kv_bits');
    }
  });

  it('tools: the same tool-call answer as the sidecar, streaming and not', async () => {
    const tools = hermes().tools as unknown as OpenAI.ChatCompletionTool[];
    const req = {
      model: hermes().repo_id,
      temperature: 0,
      max_tokens: 64,
      tools,
      messages: [{ role: 'user' as const, content: 'Weather in Paris?' }],
    };
    const [via, ref] = await Promise.all([
      oa.chat.completions.create(req),
      direct.chat.completions.create(req),
    ]);
    // Tool-call ids are fresh per response; everything else must match.
    const strip = (m: OpenAI.ChatCompletionMessage) => ({
      ...m,
      tool_calls: m.tool_calls?.map((t) => (t.type === 'function' ? t.function : t)),
    });
    expect(strip(via.choices[0]!.message)).toEqual(strip(ref.choices[0]!.message));
    const final = await oa.chat.completions.stream(req).finalChatCompletion();
    expect(
      final.choices[0]!.message.tool_calls?.map((t) => t.type === 'function' && t.function.name),
    ).toEqual(
      ref.choices[0]!.message.tool_calls?.map((t) => t.type === 'function' && t.function.name),
    );
  });

  it('messages (Anthropic SDK), non-streaming and streaming: same as the sidecar directly', async () => {
    const req = {
      model: reasoner().repo_id,
      max_tokens: 64,
      messages: [{ role: 'user' as const, content: 'Count.' }],
    };
    const [via, ref] = await Promise.all([an.messages.create(req), anDirect.messages.create(req)]);
    expect(via.content).toEqual(ref.content);
    expect(via.stop_reason).toBe(ref.stop_reason);
    const events: string[] = [];
    const stream = an.messages.stream(req);
    stream.on('streamEvent', (e) => events.push(e.type));
    const final = await stream.finalMessage();
    expect(final.content).toEqual(ref.content);
    expect(events[0]).toBe('message_start');
    expect(events.at(-1)).toBe('message_stop');
    const counted = await an.messages.countTokens({
      model: reasoner().repo_id,
      messages: req.messages,
    });
    expect(counted.input_tokens).toBe(
      (await anDirect.messages.countTokens({ model: reasoner().repo_id, messages: req.messages }))
        .input_tokens,
    );
  });

  it('errors in each protocol: a request the sidecar rejects is passed through, not retried elsewhere', async () => {
    const bad = await oa.chat.completions
      .create({
        model: reasoner().repo_id,
        max_tokens: -5,
        messages: [{ role: 'user', content: 'x' }],
      })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    const badA = await an.messages
      .create({
        model: reasoner().repo_id,
        max_tokens: 5,
        messages: [{ role: 'user', content: 'x' }],
        top_k: -3,
      } as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(badA).toBeInstanceOf(Anthropic.BadRequestError);
    const emb = await oa.embeddings
      .create({ model: reasoner().repo_id, input: 'x' })
      .catch((e: unknown) => e);
    // Embeddings are served natively now: a chat model is refused by the sidecar, in OpenAI's shape.
    expect(emb).toBeInstanceOf(OpenAI.BadRequestError);
    expect((emb as Error).message).toMatch(/is not an embedding model/);
    const failed = rows().filter((r) => r.status >= 400);
    expect(failed.map((r) => r.fallback)).toEqual(failed.map(() => false));
  });

  it('asks the sidecar for its models once, not per request; a model that appears on disk later is served', async () => {
    let listed = 0;
    const counting: LocalBackend = {
      request: (p, init) => {
        if (p === '/v1/models') listed++;
        return sup.request(p, init);
      },
    };
    const own = await startGateway({ dir: tmp.dir, local: counting });
    try {
      const client = new OpenAI({ baseURL: `${own.url}/v1`, apiKey: 'local', maxRetries: 0 });
      const req = {
        model: reasoner().repo_id,
        temperature: 0,
        max_tokens: 64,
        messages: [{ role: 'user' as const, content: 'Count.' }],
      };
      const first = await client.chat.completions.create(req);
      for await (const _ of await client.chat.completions.create({ ...req, stream: true }));
      await client.chat.completions.create(req);
      expect(listed).toBe(1);

      // Copied in after the list was taken (as a finished download would be): the miss asks again.
      const dir = (id: string) => path.join(tmp.dir, 'hub', `models--${id.replaceAll('/', '--')}`);
      const later = `${reasoner().repo_id}-later`;
      fs.cpSync(dir(reasoner().repo_id), dir(later), { recursive: true, verbatimSymlinks: true });
      const served = await client.chat.completions.create({ ...req, model: later });
      expect(served.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
      expect(listed).toBe(2);

      const unknown = await client.chat.completions
        .create({ ...req, model: 'nobody/nothing' })
        .catch((e: unknown) => e);
      expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
      expect((unknown as Error).message).toContain(later);
    } finally {
      await own.close();
    }
  });
});
