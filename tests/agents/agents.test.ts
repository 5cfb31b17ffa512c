// The real agents against a real Orchard: `orchard serve` on the starter model in a temporary home, then
// Claude Code (`claude -p`) and Codex (`codex exec`), the pinned npm builds, each through `orchard launch`.
// Each must exit 0 with an answer, and the audit log (one row per request) must show no request refused.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MethodResult } from '#shared/contract/index.ts';
import { REPO_ROOT } from '../../src-main/core/config/index.ts';
import { openDatabase } from '../../src-main/core/db/index.ts';
import { profileService } from '../../src-main/core/profiles/index.ts';
import { settingsStore } from '../../src-main/core/settings/index.ts';
import { connectRpc } from '../../src-main/core/rpc/index.ts';
import { SIDECAR_DIR, VENV_PYTHON, waitUntil } from '../../test-support/sidecar/kit.ts';
import { makeTempDir } from '../../test-support/tmp.ts';
import { tsxArgv } from '../../test-support/tsx.ts';

const MAIN = path.join(REPO_ROOT, 'src-main/core/cli/main.ts');
const ORCHARD_BIN = path.join(REPO_ROOT, 'scripts', 'orchard.mjs');
const BIN = path.join(REPO_ROOT, 'node_modules', '.bin');
const STARTER = 'HuggingFaceTB/SmolLM2-135M-Instruct';
/**
 * The starter at temperature 0, answering one line: a 135M model otherwise rambles for many minutes on
 * CPU (a blank-line stop was not enough: one run went on for 13). A stop, not max_tokens: Codex fails a
 * response cut short by max_output_tokens.
 */
const PROFILE = 'agent-suite';
const PROMPT = 'Say hello in one word.';
/** About 90 s each on this 2-core machine under load; a run past this is a failure, not a wait. */
const AGENT_MS = 8 * 60_000;
/**
 * A fixed working folder: both agents put its path in the prompt, and at temperature 0 the same prompt
 * gives the same answer. Never removed, since a concurrent run may be working in it.
 */
const WORK = path.join(os.tmpdir(), 'orchard-agent-suite-work');

type AuditRow = MethodResult<'audit.query'>['rows'][number];
interface Run {
  code: number | null;
  out: string;
  err: string;
  seconds: number;
  rows: AuditRow[];
}

describe('real agents through orchard launch (Claude Code, Codex)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let env: NodeJS.ProcessEnv;
  let serve: ChildProcess;
  let serveErr = '';
  let port = 0;
  let token = '';
  const runs: Record<string, Run> = {};

  beforeAll(async () => {
    for (const agent of ['claude', 'codex']) {
      const v = spawnSync(path.join(BIN, agent), ['--version'], { encoding: 'utf8' });
      if (v.status !== 0)
        throw new Error(
          `${agent} from npm does not run (${v.stderr || v.error?.message}); run \`npm ci\``,
        );
    }
    tmp = makeTempDir('orchard-agents-');
    const cache = path.join(tmp.dir, 'hub');
    const home = path.join(tmp.dir, 'home');
    fs.mkdirSync(WORK, { recursive: true });
    const starter = spawnSync(VENV_PYTHON, ['-m', 'orchard_sidecar.starter', '--cache', cache], {
      cwd: SIDECAR_DIR,
      encoding: 'utf8',
    });
    if (starter.status !== 0) throw new Error(`starter import failed: ${starter.stderr}`);
    const db = openDatabase(path.join(home, 'orchard.db'));
    profileService(db).create({
      name: PROFILE,
      model: STARTER,
      params: { temperature: 0, repetition_penalty: 1.15, stop: ['\n'], keep_loaded: true },
    });
    // Claude Code's system prompt is ~8k tokens: its prefill on two CPU cores takes 60-120 s, longer on a busy
    // machine. This suite checks the protocols, not speed, so the first token may take the agent's whole budget.
    settingsStore(db).set('gateway.firstTokenTimeoutMs', AGENT_MS);
    db.close();
    env = {
      ...process.env,
      ORCHARD_HOME: home,
      ORCHARD_PORT: '0',
      HF_HUB_CACHE: cache,
      // The agents' own state (sessions, settings) stays in the temporary folder, never the user's home.
      HOME: path.join(tmp.dir, 'agent-home'),
      XDG_CONFIG_HOME: path.join(tmp.dir, 'agent-home', '.config'),
      // The pinned builds from package.json, whatever else is on PATH.
      PATH: `${BIN}${path.delimiter}${process.env.PATH ?? ''}`,
      NO_COLOR: '1',
    };
    // Not `npm run orchard`: the agent works in the folder it is started from.
    for (const k of ['ORCHARD_API_KEY', 'INIT_CWD', 'npm_lifecycle_event']) delete env[k];
    fs.mkdirSync(env.HOME!, { recursive: true });

    const [cmd, args] = tsxArgv(MAIN, 'serve', '--json');
    serve = spawn(cmd, args, { env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    serve.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    serve.stderr!.on('data', (b: Buffer) => (serveErr = (serveErr + b.toString()).slice(-20_000)));
    await waitUntil(() => out.includes('\n') || serve.exitCode !== null, 120_000, 'serve');
    if (serve.exitCode !== null) throw new Error(`serve exited ${serve.exitCode}: ${serveErr}`);
    const ready = JSON.parse(out.split('\n')[0]!) as { ui: string; sidecar: string };
    expect(ready.sidecar).toBe('ready');
    const ui = new URL(ready.ui);
    port = Number(ui.port);
    token = ui.searchParams.get('token')!;
    // The pinned profile is loaded at start; wait for it so neither agent pays for the load.
    const rpc = await connectRpc(`ws://127.0.0.1:${port}/rpc?token=${token}`);
    try {
      for (let i = 0; i < 600; i++) {
        if ((await rpc.call('memory.status')).models.length > 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      rpc.close();
    }
  }, 300_000);

  afterAll(async () => {
    if (serve && serve.exitCode === null) {
      serve.kill('SIGTERM');
      await new Promise((r) => serve.once('exit', r));
    }
    // The recording: every request the agents made, as the audit log holds it.
    for (const [agent, r] of Object.entries(runs)) {
      console.log(
        `\n${agent}: exit ${r.code} in ${r.seconds.toFixed(1)} s; answer: ${JSON.stringify(r.out.trim().slice(0, 200))}`,
      );
      for (const row of r.rows)
        console.log(
          `  ${row.endpoint} → ${row.status}${row.errorCode ? ` ${row.errorCode}` : ''} ` +
            `prompt ${row.promptTokens ?? '-'} completion ${row.completionTokens ?? '-'} ` +
            `first token ${row.ttftMs ?? '-'} ms total ${row.durationMs ?? '-'} ms${row.streamed ? ' streamed' : ''}`,
        );
    }
    tmp?.cleanup();
  });

  async function auditSince(ts: number): Promise<AuditRow[]> {
    const rpc = await connectRpc(`ws://127.0.0.1:${port}/rpc?token=${token}`);
    try {
      const { rows } = await rpc.call('audit.query', { from: ts, limit: 500 });
      return rows.sort((a, b) => a.ts - b.ts);
    } finally {
      rpc.close();
    }
  }

  async function launch(agent: string, args: string[]): Promise<Run> {
    const started = Date.now();
    // The `orchard` bin, as a user runs it from their project folder (it finds tsx itself).
    const argv = [ORCHARD_BIN, 'launch', agent, '--model', PROFILE, '--', ...args];
    const child = spawn(process.execPath, argv, {
      env,
      cwd: WORK,
      // No terminal and no stdin: Codex would wait for more input on an open pipe.
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-20_000)));
    const timer = setTimeout(() => child.kill('SIGTERM'), AGENT_MS - 30_000);
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    clearTimeout(timer);
    const run: Run = {
      code,
      out,
      err,
      seconds: (Date.now() - started) / 1000,
      rows: await auditSince(started),
    };
    runs[agent] = run;
    return run;
  }

  function expectAnswered(r: Run, endpoint: string): void {
    const refused = r.rows.filter((row) => row.status >= 400);
    expect(refused, `refused requests; agent stderr:\n${r.err}\nserve:\n${serveErr}`).toEqual([]);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim()).not.toBe('');
    expect(r.rows.map((row) => row.endpoint)).toContain(endpoint);
  }

  it(
    'Claude Code: `claude -p` answers over the Messages API',
    async () => {
      const r = await launch('claude', ['-p', PROMPT]);
      expectAnswered(r, '/v1/messages');
    },
    AGENT_MS,
  );

  it(
    'Codex: `codex exec` answers over the Responses API',
    async () => {
      const r = await launch('codex', ['exec', '--skip-git-repo-check', '-s', 'read-only', PROMPT]);
      expectAnswered(r, '/v1/responses');
    },
    AGENT_MS,
  );
});
