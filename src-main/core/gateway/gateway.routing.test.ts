// Routing against real backends: the real sidecar under the real supervisor (local) and mlx_lm.server,
// a server Orchard did not write, configured as an OpenAI-format provider. Rules, fallback before the
// first byte (does not fit, sidecar killed, first-token timeout), none mid-stream, the circuit breaker,
// and an Anthropic client reaching the OpenAI-format provider through translation with tools intact.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Supervisor } from '../sidecar/index.ts';
import { waitUntil } from '../../../test-support/sidecar/kit.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import type { AuditRecord } from './store/auditLog.ts';
import type { ProviderInfo } from './types.ts';
import {
  buildFixtures,
  fixture,
  startGateway,
  startMlxServer,
  startSidecar,
  type Fixture,
  type GatewayServer,
  type MlxServer,
} from '../../../test-support/gateway/kit.ts';

const COOLDOWN = 60_000;

describe('gateway routing with real backends', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let fixtures: Fixture[];
  let sup: Supervisor;
  let mlx: MlxServer;
  let mlxB: MlxServer | undefined;
  let gw: GatewayServer;
  let provider: ProviderInfo;
  let providerB: ProviderInfo;
  let hermes: Fixture;
  let skew = 0;
  let oa: OpenAI;
  let an: Anthropic;

  beforeAll(async () => {
    tmp = makeTempDir();
    fixtures = buildFixtures(`${tmp.dir}/hub`);
    hermes = fixture(fixtures, 'scripted-tools-hermes');
    [sup, mlx, mlxB] = await Promise.all([
      startSidecar(`${tmp.dir}/hub`, tmp.dir),
      startMlxServer(hermes.path),
      startMlxServer(fixture(fixtures, 'random-llama').path),
    ]);
    gw = await startGateway({
      dir: tmp.dir,
      local: sup,
      // The fixture list is what the sidecar lists; fixed here so that the only request in flight
      // to the sidecar is the one a test is about (the kill tests count them).
      localModels: () => Promise.resolve(fixtures.map((f) => f.repo_id)),
      now: () => Date.now() + skew,
      settings: {
        'gateway.breakerFailures': 2,
        'gateway.breakerCooldownMs': COOLDOWN,
        'gateway.firstTokenTimeoutMs': 20_000,
      },
    });
    provider = gw.gateway.routing.addProvider({
      name: 'mlx',
      format: 'openai',
      baseUrl: `${mlx.url}/v1`,
      models: [hermes.path],
    });
    providerB = gw.gateway.routing.addProvider({
      name: 'mlx-b',
      format: 'openai',
      baseUrl: `${mlxB.url}/v1`,
      models: ['default_model'],
    });
    oa = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'local', maxRetries: 0 });
    an = new Anthropic({ baseURL: gw.url, apiKey: 'local', maxRetries: 0 });
  }, 240_000);

  afterAll(async () => {
    await gw?.close();
    await Promise.all([sup?.stop(), mlx?.stop(), mlxB?.stop()]);
    tmp?.cleanup();
  });

  const tools = () => hermes.tools as unknown as OpenAI.ChatCompletionTool[];
  // The row is written when the handler finishes, which can be just after the client saw [DONE].
  const seen = new Set<string>();
  const lastAudit = async () => {
    let row: AuditRecord | undefined;
    await waitUntil(
      () => {
        gw.gateway.audit.flush();
        row = gw.gateway.audit.query({ limit: 1 })[0];
        return row !== undefined && !seen.has(row.requestId);
      },
      20_000,
      'the audit row',
    );
    seen.add(row!.requestId);
    return row!;
  };

  it('a rule routes a name to mlx_lm.server; the non-streaming cloud path keeps tool_calls; temperature 0 stays 0', async () => {
    const rule = gw.gateway.routing.addRule({
      pattern: 'gpt-*',
      target: { kind: 'provider', providerId: provider.id, model: hermes.path },
    });
    const ex = await gw.gateway.explain('gpt-4o-mini');
    expect(ex.matched).toMatchObject({ kind: 'rule', ruleId: rule.id });
    expect(ex.candidates[0]?.label).toBe(`provider:mlx/${hermes.path}`);

    const { data, response } = await oa.chat.completions
      .create({
        model: 'gpt-4o-mini',
        temperature: 0,
        max_tokens: 40,
        tools: tools(),
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
      })
      .withResponse();
    expect(response.headers.get('x-orchard-route')).toBe(`provider:mlx/${hermes.path}`);
    expect(data.choices[0]!.finish_reason).toBe('tool_calls');
    const calls = data.choices[0]!.message.tool_calls!.map((c) =>
      c.type === 'function'
        ? { name: c.function.name, arguments: JSON.parse(c.function.arguments) as unknown }
        : null,
    );
    expect(calls).toEqual(hermes.tool_calls);
    const row = await lastAudit();
    expect(row).toMatchObject({
      model: 'gpt-4o-mini',
      route: `provider:mlx/${hermes.path}`,
      backendModel: hermes.path,
      status: 200,
      fallback: false,
      streamed: false,
    });
    expect(row.promptTokens).toBeGreaterThan(0);
    expect(row.completionTokens).toBe(data.usage!.completion_tokens);
  });

  it('streams from the provider through the gateway (OpenAI SDK), tool call deltas intact', async () => {
    const stream = oa.chat.completions.stream({
      model: 'gpt-4o-mini',
      temperature: 0,
      max_tokens: 40,
      tools: tools(),
      messages: [{ role: 'user', content: 'Weather?' }],
    });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    expect(
      call.type === 'function' && [call.function.name, JSON.parse(call.function.arguments)],
    ).toEqual([hermes.tool_calls![0]!.name, hermes.tool_calls![0]!.arguments]);
    const row = await lastAudit();
    expect(row).toMatchObject({ streamed: true, status: 200, errorCode: null });
    expect(row.ttftMs).not.toBeNull();
    expect(row.completionTokens).toBeGreaterThan(0);
  });

  it('an Anthropic client reaches the OpenAI-format provider through translation with tools intact', async () => {
    gw.gateway.routing.addRule({
      pattern: 'claude-*',
      target: { kind: 'provider', providerId: provider.id, model: hermes.path },
    });
    const fn = (
      hermes.tools![0] as { function: { name: string; parameters: Anthropic.Tool.InputSchema } }
    ).function;
    const aTools: Anthropic.Tool[] = [
      { name: fn.name, description: 'weather', input_schema: fn.parameters },
    ];
    const msg = await an.messages.create({
      model: 'claude-sonnet-4',
      max_tokens: 40,
      system: 'Use tools.',
      tools: aTools,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    expect(msg.stop_reason).toBe('tool_use');
    const use = msg.content.find((b) => b.type === 'tool_use');
    expect(use && [use.name, use.input]).toEqual([
      hermes.tool_calls![0]!.name,
      hermes.tool_calls![0]!.arguments,
    ]);
    expect(msg.usage.input_tokens).toBeGreaterThan(0);

    // Streaming, with the tool result of the first turn sent back as an Anthropic tool_result block.
    const stream = an.messages.stream({
      model: 'claude-sonnet-4',
      max_tokens: 40,
      tools: aTools,
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: msg.content },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: use!.type === 'tool_use' ? use!.id : '',
              content: '18C',
            },
          ],
        },
      ],
    });
    const events: string[] = [];
    stream.on('streamEvent', (e) => events.push(e.type));
    const final = await stream.finalMessage();
    expect(events[0]).toBe('message_start');
    expect(events.at(-1)).toBe('message_stop');
    expect(final.stop_reason).toBe('tool_use');
    const use2 = final.content.find((b) => b.type === 'tool_use');
    expect(use2 && use2.type === 'tool_use' && use2.input).toEqual(
      hermes.tool_calls![0]!.arguments,
    );
    const row = await lastAudit();
    expect(row).toMatchObject({
      endpoint: '/v1/messages',
      streamed: true,
      route: `provider:mlx/${hermes.path}`,
    });
    expect(row.completionTokens).toBeGreaterThan(0);
  });

  it('falls back when the local model does not fit, before any byte is sent', async () => {
    const reasoner = fixture(fixtures, 'scripted-reasoner');
    gw.gateway.routing.addRule({
      pattern: 'fit-test',
      target: { kind: 'local', model: reasoner.repo_id },
      fallbacks: [{ kind: 'provider', providerId: provider.id, model: hermes.path }],
    });
    const mem = await sup.json<{ limit_bytes: number }>('/admin/memory');
    await sup
      .json('/admin/models/unload', {
        method: 'POST',
        body: JSON.stringify({ model: reasoner.repo_id }),
      })
      .catch(() => null);
    await sup.json('/admin/memory', { method: 'PUT', body: JSON.stringify({ limit_bytes: 1024 }) });
    try {
      const { data, response } = await oa.chat.completions
        .create({
          model: 'fit-test',
          max_tokens: 40,
          temperature: 0,
          tools: tools(),
          messages: [{ role: 'user', content: 'hi' }],
        })
        .withResponse();
      expect(response.headers.get('x-orchard-fallback')).toBe('1');
      expect(data.choices[0]!.message.tool_calls).toHaveLength(1); // the provider's answer
      expect(await lastAudit()).toMatchObject({
        model: 'fit-test',
        fallback: true,
        route: `provider:mlx/${hermes.path}`,
        status: 200,
      });
    } finally {
      await sup.json('/admin/memory', {
        method: 'PUT',
        body: JSON.stringify({ limit_bytes: mem.limit_bytes }),
      });
    }
    // With room again, the same name is served locally and no fallback fires.
    const { response } = await oa.chat.completions
      .create({ model: 'fit-test', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(response.headers.get('x-orchard-route')).toBe(`local:${reasoner.repo_id}`);
    expect(await lastAudit()).toMatchObject({
      fallback: false,
      route: `local:${reasoner.repo_id}`,
    });
  });

  it('does not fall back once streaming has started: the client gets an error event, not a second answer', async () => {
    // Never ends its turn by itself (a random model's greedy path may reach an end token early).
    const endless = fixture(fixtures, 'scripted-endless');
    gw.gateway.routing.addRule({
      pattern: 'mid-stream',
      target: { kind: 'local', model: endless.repo_id },
      fallbacks: [{ kind: 'provider', providerId: provider.id, model: hermes.path }],
    });
    const stream = await oa.chat.completions.create({
      model: 'mid-stream',
      max_tokens: 3000,
      temperature: 0,
      stream: true,
      messages: [{ role: 'user', content: 'go' }],
    });
    let chunks = 0;
    let err: unknown = null;
    try {
      for await (const c of stream) {
        if (c.choices[0]?.delta?.content) chunks++;
        if (chunks === 1) process.kill(sup.status().pid!, 'SIGKILL');
      }
    } catch (e) {
      err = e;
    }
    expect(chunks).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(String((err as Error).message)).toMatch(/exited|stream broke/);
    const row = await lastAudit();
    expect(row).toMatchObject({
      model: 'mid-stream',
      route: `local:${endless.repo_id}`,
      fallback: false,
      status: 200,
      errorCode: expect.stringMatching(/sidecar_exited|upstream_interrupted/),
    });
    await waitUntil(() => sup.status().state === 'ready', 60_000, 'sidecar restart');
  });

  it('falls back when the sidecar is killed before the first token', async () => {
    const reasoner = fixture(fixtures, 'scripted-reasoner');
    gw.gateway.routing.addRule({
      pattern: 'kill-test',
      target: { kind: 'local', model: reasoner.repo_id },
      fallbacks: [{ kind: 'provider', providerId: provider.id, model: hermes.path }],
    });
    const pid = sup.status().pid!;
    process.kill(pid, 'SIGSTOP'); // frozen: the request is in flight but no token can come
    const pending = oa.chat.completions.create({
      model: 'kill-test',
      max_tokens: 40,
      temperature: 0,
      stream: true,
      tools: tools(),
      messages: [{ role: 'user', content: 'hi' }],
    });
    await waitUntil(() => sup.status().inFlight > 0, 10_000, 'request in flight');
    process.kill(pid, 'SIGKILL');
    const names: string[] = [];
    for await (const c of await pending)
      for (const t of c.choices[0]?.delta?.tool_calls ?? [])
        if (t.function?.name) names.push(t.function.name);
    expect(names).toEqual([hermes.tool_calls![0]!.name]);
    expect(await lastAudit()).toMatchObject({
      model: 'kill-test',
      fallback: true,
      route: `provider:mlx/${hermes.path}`,
      status: 200,
      streamed: true,
    });
    await waitUntil(() => sup.status().state === 'ready', 60_000, 'sidecar restart');
  });

  it('falls back when no first token arrives within the configured time', async () => {
    const reasoner = fixture(fixtures, 'scripted-reasoner');
    gw.repos.settings.set('gateway.firstTokenTimeoutMs', 1500);
    const pid = sup.status().pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      const { response } = await oa.chat.completions
        .create({
          model: 'kill-test',
          max_tokens: 20,
          temperature: 0,
          stream: true,
          messages: [{ role: 'user', content: reasoner.repo_id }],
        })
        .withResponse();
      expect(response.headers.get('x-orchard-fallback')).toBe('1');
      gw.gateway.audit.flush();
      expect(await lastAudit()).toMatchObject({
        fallback: true,
        route: `provider:mlx/${hermes.path}`,
      });
    } finally {
      process.kill(pid, 'SIGCONT');
      gw.repos.settings.set('gateway.firstTokenTimeoutMs', 20_000);
    }
  });

  it('the circuit breaker opens after consecutive failures, skips the provider, and recovers after one trial', async () => {
    const reasoner = fixture(fixtures, 'scripted-reasoner');
    gw.gateway.routing.addRule({
      pattern: 'cb-direct',
      target: { kind: 'provider', providerId: providerB.id, model: 'default_model' },
    });
    gw.gateway.routing.addRule({
      pattern: 'cb-test',
      target: { kind: 'provider', providerId: providerB.id, model: 'default_model' },
      fallbacks: [{ kind: 'local', model: reasoner.repo_id }],
    });
    expect(
      (
        await oa.chat.completions.create({
          model: 'cb-direct',
          max_tokens: 3,
          messages: [{ role: 'user', content: 'x' }],
        })
      ).choices,
    ).toHaveLength(1);
    const port = mlxB!.port;
    await mlxB!.stop();
    for (let i = 0; i < 2; i++) {
      const { response } = await oa.chat.completions
        .create({ model: 'cb-test', max_tokens: 3, messages: [{ role: 'user', content: 'x' }] })
        .withResponse();
      expect(response.headers.get('x-orchard-route')).toBe(`local:${reasoner.repo_id}`); // fell back past the dead provider
    }
    expect(gw.gateway.breakers.view(providerB.id, Date.now() + skew)).toMatchObject({
      state: 'open',
      consecutiveFailures: 2,
    });
    const ex = await gw.gateway.explain('cb-test');
    expect(ex.candidates[0]?.skipped).toMatch(/circuit is open after 2 failures/);
    const blocked = await oa.chat.completions
      .create({ model: 'cb-direct', max_tokens: 3, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(blocked).toBeInstanceOf(OpenAI.APIError);
    expect((blocked as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect(String((blocked as Error).message)).toMatch(/circuit is open/);

    mlxB = await startMlxServer(fixture(fixtures, 'random-llama').path, port);
    skew += COOLDOWN; // the cool-down passes
    expect(gw.gateway.breakers.view(providerB.id, Date.now() + skew).state).toBe('half_open');
    const { response } = await oa.chat.completions
      .create({ model: 'cb-test', max_tokens: 3, messages: [{ role: 'user', content: 'x' }] })
      .withResponse();
    expect(response.headers.get('x-orchard-route')).toBe('provider:mlx-b/default_model');
    expect(gw.gateway.breakers.view(providerB.id, Date.now() + skew)).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
    });
  });

  it('a client that disconnects mid-stream cancels the upstream request', async () => {
    const endless = fixture(fixtures, 'scripted-endless');
    const ac = new AbortController();
    const stream = await oa.chat.completions.create(
      // Far more tokens than could be generated before the wait below gives up: only a cancel ends it in time.
      {
        model: endless.repo_id,
        max_tokens: 100_000,
        temperature: 0,
        stream: true,
        messages: [{ role: 'user', content: 'go' }],
      },
      { signal: ac.signal },
    );
    let got = 0;
    try {
      for await (const c of stream) {
        if (c.choices[0]?.delta?.content && ++got === 3) ac.abort();
      }
    } catch {
      // aborted by us
    }
    // The sidecar reports the generation as ended early (cancelled), long before 3000 tokens.
    await waitUntil(
      () => {
        gw.gateway.audit.flush();
        return gw.gateway.audit.query({ limit: 1 })[0]?.errorCode === 'client_closed';
      },
      20_000,
      'audit row of the cancelled request',
    );
    const row = gw.gateway.audit.query({ limit: 1 })[0]!;
    expect(row).toMatchObject({ status: 499, route: `local:${endless.repo_id}`, streamed: true });
    let active = -1;
    for (let i = 0; i < 200 && active !== 0; i++) {
      active = (await sup.json<{ active_sequences: number }>('/admin/memory')).active_sequences;
      if (active !== 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(active).toBe(0);
  });
});
