// `orchard launch`: the environment and config each agent gets (pure), and the command itself against a
// real core with a stand-in agent (a node script that reports its argv, env and config, then exits 3).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../app/index.ts';
import { loadConfig, REPO_ROOT } from '../config/index.ts';
import { connectRpc } from '../rpc/index.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { tsxArgv } from '../../../test-support/tsx.ts';
import {
  agentEnv,
  agentSetup,
  outputBudget,
  pickModel,
  STARTER_MODEL,
  type LaunchTarget,
} from './launchAgents.ts';
import { writeServeFile } from './serveFile.ts';

const target: LaunchTarget = {
  origin: 'http://127.0.0.1:8765',
  model: 'org/Model "q"',
  contextLength: 8192,
  apiKey: 'sk-test',
};

describe('launch: what each agent is given', () => {
  it('Claude Code: the endpoint, a bearer key, every model role, the window, no outside traffic', () => {
    const s = agentSetup('claude', target, { dir: '/tmp/x', env: {} });
    expect(s.files).toEqual({});
    expect(s.env).toMatchObject({
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:8765',
      ANTHROPIC_AUTH_TOKEN: 'sk-test',
      ANTHROPIC_API_KEY: null,
      ANTHROPIC_MODEL: target.model,
      ANTHROPIC_SMALL_FAST_MODEL: target.model,
      ANTHROPIC_DEFAULT_HAIKU_MODEL: target.model,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_MAX_CONTEXT_TOKENS: '8192',
      CLAUDE_CODE_MAX_OUTPUT_TOKENS: '1024',
    });
    // The user's own tuning wins; an unknown window sets neither.
    const tuned = agentSetup('claude', target, {
      dir: '/tmp/x',
      env: { CLAUDE_CODE_MAX_OUTPUT_TOKENS: '64' },
    });
    expect(tuned.env.CLAUDE_CODE_MAX_OUTPUT_TOKENS).toBe('64');
    const unknown = agentSetup(
      'claude',
      { ...target, contextLength: null },
      { dir: '/x', env: {} },
    );
    expect(unknown.env).not.toHaveProperty('CLAUDE_CODE_MAX_CONTEXT_TOKENS');
  });

  it('Codex: a config.toml with an `orchard` Responses provider in a CODEX_HOME of its own', () => {
    const s = agentSetup('codex', target, { dir: '/tmp/h', env: {} });
    expect(s.env).toEqual({ CODEX_HOME: '/tmp/h', ORCHARD_API_KEY: 'sk-test' });
    const toml = s.files['config.toml']!;
    expect(toml).toContain('model = "org/Model \\"q\\""');
    expect(toml).toContain('model_provider = "orchard"');
    expect(toml).toContain('model_context_window = 8192');
    expect(toml).toContain('[model_providers.orchard]');
    expect(toml).toContain('base_url = "http://127.0.0.1:8765/v1"');
    expect(toml).toContain('wire_api = "responses"');
    expect(toml).toContain('env_key = "ORCHARD_API_KEY"');
    expect(toml).not.toContain('sk-test');
    const unknown = agentSetup('codex', { ...target, contextLength: null }, { dir: '/h', env: {} });
    expect(unknown.files['config.toml']).not.toContain('model_context_window');
  });

  it('opencode: an OpenAI-compatible provider in OPENCODE_CONFIG, with the window as its limit', () => {
    const s = agentSetup('opencode', target, { dir: '/tmp/o', env: {} });
    expect(s.env).toEqual({
      OPENCODE_CONFIG: path.join('/tmp/o', 'opencode.json'),
      ORCHARD_API_KEY: 'sk-test',
    });
    const cfg = JSON.parse(s.files['opencode.json']!);
    expect(cfg.model).toBe(`orchard/${target.model}`);
    expect(cfg.provider.orchard).toMatchObject({
      npm: '@ai-sdk/openai-compatible',
      options: { baseURL: 'http://127.0.0.1:8765/v1', apiKey: '{env:ORCHARD_API_KEY}' },
    });
    expect(cfg.provider.orchard.models[target.model].limit).toEqual({
      context: 8192,
      output: 1024,
    });
  });

  it('applies the changes over the inherited environment', () => {
    const env = agentEnv(
      { PATH: '/bin', ANTHROPIC_API_KEY: 'real', HOME: '/h' },
      { env: { ANTHROPIC_API_KEY: null, ANTHROPIC_BASE_URL: 'x' }, files: {} },
    );
    expect(env).toEqual({ PATH: '/bin', HOME: '/h', ANTHROPIC_BASE_URL: 'x' });
  });

  it('sizes the answer from the window, within bounds', () => {
    expect(outputBudget(2048)).toBe(256);
    expect(outputBudget(8192)).toBe(1024);
    expect(outputBudget(1_000_000)).toBe(32_000);
  });

  it('picks the named model, else the starter, else the first local model that chats', () => {
    const listing = {
      data: [
        { id: 'emb', owned_by: 'orchard-local', capabilities: ['embedding'] },
        { id: 'gpt-*', owned_by: 'orchard-route' },
        {
          id: 'chat',
          owned_by: 'orchard-local',
          capabilities: ['completion'],
          context_length: 4096,
        },
        { id: STARTER_MODEL, owned_by: 'orchard-local', context_length: 8192 },
      ],
    };
    expect(pickModel(listing, 'chat')).toEqual({ model: 'chat', contextLength: 4096 });
    expect(pickModel(listing, 'claude-x')).toEqual({ model: 'claude-x', contextLength: null });
    expect(pickModel(listing, undefined)).toEqual({ model: STARTER_MODEL, contextLength: 8192 });
    expect(pickModel({ data: listing.data.slice(0, 3) }, undefined)?.model).toBe('chat');
    expect(pickModel({ data: listing.data.slice(0, 2) }, undefined)).toBeNull();
  });
});

/** A stand-in agent: prints what it was given as one JSON line, checks the key against /v1/models. */
const STAND_IN = `#!/usr/bin/env node
const fs = require('node:fs');
const path = require('node:path');
const e = process.env;
const home = e.CODEX_HOME;
const key = e.ANTHROPIC_AUTH_TOKEN || e.ORCHARD_API_KEY;
const base = e.ANTHROPIC_BASE_URL || 'http://127.0.0.1:' + /127\\.0\\.0\\.1:(\\d+)/.exec(fs.readFileSync(path.join(home, 'config.toml'), 'utf8'))[1];
fetch(base + '/v1/models', { headers: { authorization: 'Bearer ' + key } }).then((r) => {
  console.log(JSON.stringify({
    argv: process.argv.slice(2),
    cwd: process.cwd(),
    env: { ANTHROPIC_BASE_URL: e.ANTHROPIC_BASE_URL, ANTHROPIC_MODEL: e.ANTHROPIC_MODEL,
      ANTHROPIC_API_KEY: e.ANTHROPIC_API_KEY, CODEX_HOME: home, ORCHARD_API_KEY: e.ORCHARD_API_KEY },
    config: home ? fs.readFileSync(path.join(home, 'config.toml'), 'utf8') : null,
    modelsStatus: r.status,
  }));
  process.exit(3);
});
`;

describe('orchard launch (integration, stand-in agent)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let core: Core;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    tmp = makeTempDir('orchard-launch-');
    const home = path.join(tmp.dir, 'home');
    env = { ...process.env, ORCHARD_HOME: home, ORCHARD_PORT: '0', HF_HUB_CACHE: tmp.dir };
    core = await startCore({ config: loadConfig(env), http: true, sidecar: false });
    writeServeFile(core.config.serveFile, {
      pid: process.pid,
      port: core.web!.port,
      token: core.web!.token,
    });
    const bin = path.join(tmp.dir, 'bin');
    fs.mkdirSync(bin);
    for (const name of ['claude', 'codex'])
      fs.writeFileSync(path.join(bin, name), STAND_IN, { mode: 0o755 });
    env.PATH = `${bin}${path.delimiter}${env.PATH ?? ''}`;
    env.ANTHROPIC_API_KEY = 'a-real-anthropic-key';
  });
  afterAll(async () => {
    await core?.stop();
    tmp?.cleanup();
  });

  function launch(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
    return launchWith(env, ...args);
  }
  function launchWith(
    e: NodeJS.ProcessEnv,
    ...args: string[]
  ): Promise<{ code: number | null; out: string; err: string }> {
    const [cmd, argv] = tsxArgv(path.join(REPO_ROOT, 'src-main/core/cli/main.ts'), ...args);
    const child = spawn(cmd, argv, { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
  }

  it('runs Claude Code with the args after --, the environment set, and its exit code', async () => {
    const r = await launch('launch', 'claude', '--model', 'some/model', '--', '-p', 'hi there');
    expect(r.err).toContain('Launching claude on some/model');
    expect(r.code).toBe(3);
    const seen = JSON.parse(r.out);
    expect(seen.argv).toEqual(['-p', 'hi there']);
    expect(seen.env).toMatchObject({
      ANTHROPIC_BASE_URL: `http://127.0.0.1:${core.web!.port}`,
      ANTHROPIC_MODEL: 'some/model',
    });
    expect(seen.env.ANTHROPIC_API_KEY).toBeUndefined();
    expect(seen.modelsStatus).toBe(200);
  });

  it('runs the agent in the folder `npm run orchard` was called from', async () => {
    const project = path.join(tmp.dir, 'project');
    fs.mkdirSync(project);
    const r = await launchWith(
      { ...env, npm_lifecycle_event: 'orchard', INIT_CWD: project },
      'launch',
      'claude',
      '--model',
      'm',
    );
    expect(r.code).toBe(3);
    expect(JSON.parse(r.out).cwd).toBe(project);
  });

  it('with keys required: a temporary key that works, revoked when the agent exits; the config folder is gone', async () => {
    const rpc = await connectRpc(`ws://127.0.0.1:${core.web!.port}/rpc?token=${core.web!.token}`);
    try {
      await rpc.call('settings.set', { requireApiKey: true });
      const r = await launch('launch', 'codex', '--model', 'm1');
      expect(r.code).toBe(3);
      const seen = JSON.parse(r.out);
      expect(seen.modelsStatus).toBe(200);
      expect(seen.env.ORCHARD_API_KEY).not.toBe('orchard');
      expect(seen.config).toContain('model = "m1"');
      expect(seen.config).toContain('wire_api = "responses"');
      expect(fs.existsSync(seen.env.CODEX_HOME)).toBe(false);
      const keys = await rpc.call('apiKeys.list');
      expect(keys).toEqual([
        expect.objectContaining({
          name: 'orchard launch codex (temporary)',
          revokedAt: expect.any(Number),
        }),
      ]);
      // A key given in ORCHARD_API_KEY that Orchard refuses is an error before anything runs.
      env.ORCHARD_API_KEY = 'not-a-key';
      const bad = await launch('launch', 'codex');
      delete env.ORCHARD_API_KEY;
      expect(bad.code).toBe(1);
      expect(bad.err).toContain('refused the key in ORCHARD_API_KEY');
      expect(bad.out).toBe('');
    } finally {
      await rpc.call('settings.set', { requireApiKey: false });
      rpc.close();
    }
  });

  it('says what is wrong: an unknown agent, no model, no instance running', async () => {
    const bad = await launch('launch', 'vim');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('launch takes one agent');
    // No sidecar here, so no local model to fall back on.
    const noModel = await launch('launch', 'claude', '--json');
    expect(noModel.code).toBe(1);
    expect(JSON.parse(noModel.err.trim().split('\n').at(-1)!).error).toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('no local model'),
    });
    const down = await launchWith(
      { ...env, ORCHARD_HOME: path.join(tmp.dir, 'elsewhere') },
      'launch',
      'claude',
    );
    expect(down.code).toBe(1);
    expect(down.err).toContain('Orchard is not running');
  });
});
