// The official `openai` SDK's Responses client against the gateway in front of the real sidecar on
// scripted fixture models: create, stream, tools, previous_response_id, the stored routes, store: false.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Supervisor } from '../../sidecar/index.ts';
import { makeTempDir } from '../../../../test-support/tmp.ts';
import {
  buildFixtures,
  fixture,
  startGateway,
  startSidecar,
  type Fixture,
  type GatewayServer,
} from '../../../../test-support/gateway/kit.ts';

describe('the Responses API through the gateway to the real sidecar', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let fixtures: Fixture[];
  let sup: Supervisor;
  let gw: GatewayServer;
  let oa: OpenAI;

  beforeAll(async () => {
    tmp = makeTempDir();
    fixtures = buildFixtures(`${tmp.dir}/hub`);
    sup = await startSidecar(`${tmp.dir}/hub`, tmp.dir);
    gw = await startGateway({ dir: tmp.dir, local: sup });
    oa = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'local', maxRetries: 0 });
  }, 240_000);

  afterAll(async () => {
    await gw?.close();
    await sup?.stop();
    tmp?.cleanup();
  });

  const reasoner = () => fixture(fixtures, 'scripted-reasoner');
  const hermes = () => fixture(fixtures, 'scripted-tools-hermes');
  const weather = (): OpenAI.Responses.FunctionTool => {
    const fn = (hermes().tools![0] as { function: Record<string, unknown> }).function;
    return {
      type: 'function',
      name: fn.name as string,
      description: fn.description as string,
      parameters: fn.parameters as Record<string, unknown>,
      strict: true,
    };
  };
  const rows = () => {
    gw.gateway.audit.flush();
    return gw.gateway.audit.query({ limit: 1000 });
  };
  const raw = (path: string, init?: RequestInit) =>
    fetch(`${gw.url}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', ...(init?.headers ?? {}) },
    });

  it('create with a string input: the script’s answer and reasoning, usage, one audit row', async () => {
    const r = await oa.responses.create({
      model: reasoner().repo_id,
      input: 'Count.',
      temperature: 0,
      max_output_tokens: 64,
    });
    expect(r.object).toBe('response');
    expect(r.status).toBe('completed');
    expect(r.output_text).toBe(reasoner().content);
    const reasoning = r.output.find((o) => o.type === 'reasoning');
    expect(reasoning?.content?.[0]?.text).toBe(reasoner().reasoning);
    expect(r.usage!.input_tokens).toBeGreaterThan(0);
    expect(r.usage!.output_tokens).toBeGreaterThan(0);
    const row = rows().find(
      (x) => x.endpoint === '/v1/responses' && x.model === reasoner().repo_id,
    )!;
    expect(row).toMatchObject({
      route: `local:${reasoner().repo_id}`,
      status: 200,
      streamed: false,
      promptTokens: r.usage!.input_tokens,
      completionTokens: r.usage!.output_tokens,
    });
  });

  it('create with items and instructions; a summary asked for comes as the reasoning summary', async () => {
    const r = await oa.responses.create({
      model: reasoner().repo_id,
      instructions: 'You count.',
      input: [
        { role: 'developer', content: 'Be exact.' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Count.' }] },
      ],
      reasoning: { summary: 'auto' },
      temperature: 0,
      max_output_tokens: 64,
    });
    expect(r.status).toBe('completed');
    expect(r.output_text).toBe(reasoner().content);
    const reasoning = r.output.find((o) => o.type === 'reasoning');
    expect(reasoning?.summary[0]?.text).toBe(reasoner().reasoning);
  });

  it('reasoning.effort none turns thinking off; max_output_tokens cuts to an incomplete response', async () => {
    const off = await oa.responses.create({
      model: reasoner().repo_id,
      input: 'Count.',
      reasoning: { effort: 'none' },
      temperature: 0,
      max_output_tokens: 64,
    });
    const noThinking = (reasoner() as unknown as { no_thinking: { content: string } }).no_thinking;
    expect(off.output.map((o) => o.type)).toEqual(['message']);
    expect(off.output_text).toBe(noThinking.content);
    const cut = await oa.responses.create({
      model: reasoner().repo_id,
      input: 'Count.',
      reasoning: { effort: 'none' },
      temperature: 0,
      max_output_tokens: 3,
    });
    expect(cut.status).toBe('incomplete');
    expect(cut.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(cut.usage!.output_tokens).toBe(3);
  });

  it('stream: the documented events, sequence numbers 0, 1, 2, …, deltas adding up to the text', async () => {
    const stream = oa.responses.stream({
      model: reasoner().repo_id,
      input: 'Count.',
      temperature: 0,
      max_output_tokens: 64,
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const ev of stream) events.push(ev);
    const final = await stream.finalResponse();
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const types = events.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
    ]);
    expect(types.at(-1)).toBe('response.completed');
    for (const t of [
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.reasoning_text.delta',
    ])
      expect(types).toContain(t);
    const text = events
      .filter((e) => e.type === 'response.output_text.delta')
      .map((e) => (e as OpenAI.Responses.ResponseTextDeltaEvent).delta)
      .join('');
    expect(text).toBe(reasoner().content);
    expect(final.output_text).toBe(reasoner().content);
    expect(final.usage!.output_tokens).toBeGreaterThan(0);
    const row = rows().find((x) => x.endpoint === '/v1/responses' && x.streamed)!;
    expect(row).toMatchObject({ status: 200, completionTokens: final.usage!.output_tokens });
  });

  it('tools: a function_call item from the scripted tool model, then its output passed back', async () => {
    const first = await oa.responses.create({
      model: hermes().repo_id,
      input: 'What is the weather in Paris?',
      tools: [weather()],
      tool_choice: 'auto',
      temperature: 0,
      max_output_tokens: 64,
    });
    const call = first.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
    const expected = hermes().tool_calls![0]!;
    expect(JSON.parse(call!.arguments)).toEqual(expected.arguments);

    const second = await oa.responses.create({
      model: hermes().repo_id,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call!.call_id, output: '18°C, sunny' }],
      tools: [weather()],
      temperature: 0,
      max_output_tokens: 64,
    });
    expect(second.status).toBe('completed');
    expect(second.previous_response_id).toBe(first.id);
    // The history (question, call, output) was in the prompt: longer than the first one.
    expect(second.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens);
    const items = await oa.responses.inputItems.list(second.id);
    expect(items.data).toEqual([
      expect.objectContaining({ type: 'function_call_output', call_id: call!.call_id }),
    ]);
  });

  it('tools, streamed: argument deltas add up to the call’s arguments', async () => {
    const stream = oa.responses.stream({
      model: hermes().repo_id,
      input: 'Weather in Paris?',
      tools: [weather()],
      temperature: 0,
      max_output_tokens: 64,
    });
    let args = '';
    const types: string[] = [];
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'response.function_call_arguments.delta') args += ev.delta;
    }
    const final = await stream.finalResponse();
    const call = final.output.find((o) => o.type === 'function_call')!;
    expect(args).toBe(call.arguments);
    expect(JSON.parse(args)).toEqual(hermes().tool_calls![0]!.arguments);
    expect(types).toContain('response.function_call_arguments.done');
  });

  it('previous_response_id, retrieve, input_items, delete', async () => {
    const base = { model: reasoner().repo_id, temperature: 0, max_output_tokens: 64 };
    const r1 = await oa.responses.create({ ...base, input: 'Count.' });
    const r2 = await oa.responses.create({ ...base, input: 'Again.', previous_response_id: r1.id });
    expect(r2.usage!.input_tokens).toBeGreaterThan(r1.usage!.input_tokens);
    const got = await oa.responses.retrieve(r2.id);
    expect(got.id).toBe(r2.id);
    expect(got.output_text).toBe(r2.output_text);
    const items = await oa.responses.inputItems.list(r2.id);
    expect(items.data).toHaveLength(1);
    expect(items.data[0]).toMatchObject({
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text: 'Again.' }],
    });
    await expect(oa.responses.delete(r1.id)).resolves.not.toThrow();
    await expect(oa.responses.retrieve(r1.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    // An unknown previous response is the client's error, in OpenAI's shape.
    const bad = await oa.responses
      .create({ ...base, input: 'x', previous_response_id: r1.id })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('previous_response_id');
  });

  it('store: false keeps nothing: GET is a 404 in the OpenAI error shape', async () => {
    const r = await oa.responses.create({
      model: reasoner().repo_id,
      input: 'Count.',
      store: false,
      temperature: 0,
      max_output_tokens: 64,
    });
    expect((r as unknown as { store: boolean }).store).toBe(false);
    const res = await raw(`/v1/responses/${r.id}`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: 'not_found_error' });
    expect(String(body.error.message)).toContain(r.id);
  });

  it('what a local model cannot honour is accepted: hosted and custom tools, include, cache key, tier', async () => {
    const r = await oa.responses.create({
      model: reasoner().repo_id,
      input: 'Count.',
      tools: [
        { type: 'web_search' },
        { type: 'mcp', server_label: 'docs', server_url: 'https://example.com/mcp' },
        { type: 'custom', name: 'apply_patch', description: 'Edit files.' },
        {
          type: 'namespace',
          name: 'mcp__files',
          description: 'Files.',
          tools: [
            { type: 'function', name: 'read', parameters: { type: 'object', properties: {} } },
          ],
        },
      ] as OpenAI.Responses.Tool[],
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'session-1',
      service_tier: 'flex',
      store: false,
      temperature: 0,
      max_output_tokens: 64,
      // Not in the SDK's types; Codex sends it.
      ...({ client_metadata: { session: 'x' } } as object),
    });
    expect(r.status).toBe('completed');
    expect(r.output_text).toBe(reasoner().content);
  });

  it('malformed bodies are 400s in the OpenAI error shape; other methods and paths are refused', async () => {
    const cases: Array<[string, string]> = [
      ['{"model": "m", "input": 5}', 'input'],
      ['{"input": "x"}', 'model'],
      [
        '{"model": "m", "input": [{"type": "function_call", "name": "f", "arguments": "{}"}]}',
        'input.0.call_id',
      ],
      ['{"model": "m", "input": "x", "temperature": "hot"}', 'temperature'],
    ];
    for (const [body, param] of cases) {
      const res = await raw('/v1/responses', { method: 'POST', body });
      expect(res.status, body).toBe(400);
      const j = (await res.json()) as { error: Record<string, unknown> };
      expect(j.error).toMatchObject({ type: 'invalid_request_error', param });
    }
    const notJson = await raw('/v1/responses', { method: 'POST', body: '{"model":' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
    expect((await raw('/v1/responses')).status).toBe(405);
    expect((await raw('/v1/responses/x/other')).status).toBe(404);
  });
});
