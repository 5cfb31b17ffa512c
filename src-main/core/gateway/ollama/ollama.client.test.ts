// The official `ollama` Python client against Orchard's real core (gateway, sidecar, fixture models, a Hub
// test server): list, show, chat and generate streamed and not, tools, keep_alive, copy, pull, delete.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../../app/index.ts';
import { HUB_ENDPOINT_SETTING } from '../../app/downloads.ts';
import { loadConfig, REPO_ROOT } from '../../config/index.ts';
import { openDatabase } from '../../db/index.ts';
import { settingsStore } from '../../settings/index.ts';
import { buildFixtures, fixture, type Fixture } from '../../../../test-support/gateway/kit.ts';
import { fastOptions } from '../../../../test-support/hub/env.ts';
import { llamaConfig, writeFixtureRepo } from '../../../../test-support/hub/fixtures.ts';
import { startHubServer, type HubServer } from '../../../../test-support/hub/server.ts';
import { SIDECAR_DIR, VENV_PYTHON } from '../../../../test-support/sidecar/kit.ts';
import { makeTempDir } from '../../../../test-support/tmp.ts';

const PULL = 'mlx-community/Ollama-Pull-4bit';
const SCRIPT = path.join(REPO_ROOT, 'test-support', 'ollama', 'client_check.py');

type Json = Record<string, unknown>;
type Failure = { status: number; error: string };

/** What test-support/ollama/client_check.py prints: one entry per step (or its error). */
interface Out {
  version: Json;
  list: { names: string[]; size: number; family: string; digest: string };
  show: {
    capabilities: string[];
    model_info: Record<string, unknown>;
    template: number;
    details: { family: string };
  };
  chat: Json & { eval_count: number; prompt_eval_count: number; total_duration: number };
  chat_stream: Json & { chunks: number; eval_count: number };
  generate: Json;
  generate_stream: Json;
  tools: { calls: Json[]; streamed: Json[]; follow_done: boolean };
  keep_alive: {
    loaded: boolean;
    seconds_left: number;
    size_vram: number;
    unload_reason: string;
    after_unload: string[];
    load_reason: string;
    after_load: string[];
  };
  copy: Json;
  pull: {
    statuses: Array<{ status?: string; total?: number; completed?: number; digest?: string }>;
  };
  listed_after_pull: unknown;
  delete: Json;
  unknown_model: Failure;
  image_on_text_model: Failure;
}

describe('the ollama Python client against Orchard', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let srv: HubServer;
  let core: Core;
  let fixtures: Fixture[];
  let out: Out;

  beforeAll(async () => {
    tmp = makeTempDir('orchard-ollama-');
    const cache = path.join(tmp.dir, 'hub');
    fixtures = buildFixtures(cache);
    const hubRoot = path.join(tmp.dir, 'hub-fixtures');
    writeFixtureRepo(hubRoot, PULL, {
      files: {
        'config.json': llamaConfig(),
        'model.safetensors': { size: 3 * 2 ** 20, seed: 3 },
      },
    });
    srv = await startHubServer({ root: hubRoot });
    const home = path.join(tmp.dir, 'home');
    const config = loadConfig({ ORCHARD_HOME: home, ORCHARD_PORT: '0', HF_HUB_CACHE: cache });
    const db = openDatabase(config.dbPath);
    settingsStore(db).set(HUB_ENDPOINT_SETTING, srv.url);
    db.close();
    core = await startCore({
      config,
      http: true,
      memoryPollMs: 600_000,
      downloads: fastOptions(),
    });
    expect(core.supervisor.status().state).toBe('ready');

    const hermes = fixture(fixtures, 'scripted-tools-hermes');
    // Not spawnSync: core answers the client from this very process.
    const child = spawn(
      VENV_PYTHON,
      [
        SCRIPT,
        JSON.stringify({
          reasoner: fixture(fixtures, 'scripted-reasoner').repo_id,
          hermes: hermes.repo_id,
          hermes_tools: hermes.tools,
          pull: PULL,
        }),
      ],
      {
        cwd: SIDECAR_DIR,
        env: { ...process.env, OLLAMA_HOST: `http://127.0.0.1:${core.web!.port}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const run = { stdout: '', stderr: '' };
    child.stdout.on('data', (b: Buffer) => (run.stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (run.stderr += b.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    if (code !== 0) throw new Error(`client script failed (${code}): ${run.stderr}`);
    out = JSON.parse(run.stdout) as Out;
    for (const [step, r] of Object.entries(out) as Array<[string, unknown]>)
      if (r && typeof r === 'object' && 'exception' in r)
        console.error(`[ollama client] ${step}: ${String((r as Json).trace)}`);
  }, 600_000);

  afterAll(async () => {
    await core?.stop();
    await srv?.close();
    tmp?.cleanup();
  });

  const reasoner = () => fixture(fixtures, 'scripted-reasoner');
  const hermes = () => fixture(fixtures, 'scripted-tools-hermes');

  it('version and list: every local model with size, family and digest', () => {
    expect(out.version).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
    expect(out.list.names).toEqual(expect.arrayContaining(fixtures.map((f) => f.repo_id)));
    expect(out.list.size).toBeGreaterThan(0);
    expect(out.list.family).toBe(out.show.details.family);
    expect(out.list.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('show: capabilities (thinking), the window in model_info, the chat template', () => {
    expect(out.show.capabilities).toEqual(expect.arrayContaining(['completion', 'thinking']));
    const arch = out.show.model_info['general.architecture'] as string;
    expect(arch).toBe(out.show.details.family);
    expect(out.show.model_info[`${arch}.context_length`]).toBeGreaterThan(0);
    expect(out.show.template).toBeGreaterThan(0);
  });

  it('chat, not streamed: the answer, its thinking, counts and durations', () => {
    expect(out.chat).toMatchObject({
      content: reasoner().content,
      thinking: reasoner().reasoning,
      done: true,
      done_reason: 'stop',
      model: reasoner().repo_id,
    });
    expect(out.chat.eval_count).toBeGreaterThan(0);
    expect(out.chat.prompt_eval_count).toBeGreaterThan(0);
    expect(out.chat.total_duration).toBeGreaterThan(0);
  });

  it('chat streamed: pieces that add up to the same answer, one last line with done', () => {
    expect(out.chat_stream).toMatchObject({
      content: reasoner().content,
      thinking: reasoner().reasoning,
      last_done: true,
      done_before_last: false,
    });
    expect(out.chat_stream.chunks).toBeGreaterThan(3);
    expect(out.chat_stream.eval_count).toBeGreaterThan(0);
  });

  it('generate, streamed and not', () => {
    expect(out.generate).toMatchObject({ response: reasoner().content, done: true });
    expect(out.generate_stream).toEqual({ response: reasoner().content, last_done: true });
  });

  it('tools: the call with its arguments as an object, streamed and not; a tool result goes back', () => {
    const call = hermes().tool_calls![0]!;
    expect(out.tools.calls).toEqual([{ name: call.name, arguments: call.arguments }]);
    expect(out.tools.streamed).toEqual([{ name: call.name, arguments: call.arguments }]);
    expect(out.tools.follow_done).toBe(true);
  });

  it('keep_alive: 10m is the idle TTL in ps; an empty request with 0 unloads, without loads', () => {
    const k = out.keep_alive;
    expect(k.loaded).toBe(true);
    expect(k.seconds_left).toBeGreaterThan(500);
    expect(k.seconds_left).toBeLessThanOrEqual(601);
    expect(k.size_vram).toBeGreaterThan(0);
    expect(k.unload_reason).toBe('unload');
    expect(k.after_unload).not.toContain(reasoner().repo_id);
    expect(k.load_reason).toBe('load');
    expect(k.after_load).toContain(reasoner().repo_id);
  });

  it('copy makes an alias that chats like its model; delete removes the alias only', () => {
    expect(out.copy).toEqual({
      listed: true,
      content: reasoner().content,
      after_delete: false,
      source_kept: true,
    });
  });

  it('pull: an Orchard download from the Hub, progress lines, success; then listed; delete removes it', () => {
    const statuses = out.pull.statuses;
    expect(statuses[0]).toEqual({ status: 'pulling manifest' });
    const progress = statuses.filter((s) => s.total !== undefined);
    expect(progress.length).toBeGreaterThan(0);
    // The weights and config.json.
    expect(progress.at(-1)!.total).toBeGreaterThan(3 * 2 ** 20);
    expect(progress.at(-1)!.completed).toBe(progress.at(-1)!.total);
    expect(progress[0]!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(statuses.at(-1)).toEqual({ status: 'success' });
    expect(out.listed_after_pull).toBe(true);
    expect(out.delete).toEqual({ status: 'success', listed: false });
  });

  it('errors in Ollama’s shape: an unknown model is 404, an image for a text model 400', () => {
    expect(out.unknown_model).toMatchObject({ status: 404 });
    expect(out.unknown_model.error).toMatch(/nobody\/nothing/);
    expect(out.image_on_text_model).toMatchObject({ status: 400 });
    expect(out.image_on_text_model.error).toMatch(/does not support images/);
  });

  it('every generation has its audit row under its /api path', () => {
    core.gateway.audit.flush();
    const rows = core.gateway.audit.query({ limit: 1000 });
    const chat = rows.filter((r) => r.endpoint === '/api/chat' && r.status === 200);
    expect(chat.length).toBeGreaterThanOrEqual(4);
    expect(chat.some((r) => r.streamed && (r.completionTokens ?? 0) > 0)).toBe(true);
    expect(
      rows.some((r) => r.endpoint === '/api/generate' && r.route === `local:${reasoner().repo_id}`),
    ).toBe(true);
    expect(rows.some((r) => r.endpoint === '/api/pull' && r.model === PULL)).toBe(true);
  });
});
