// `orchard run` and `orchard logs` against one real `orchard serve` (child process, temp ORCHARD_HOME,
// the sidecar on the scripted fixture models): one answer from a PROMPT or piped stdin, the interactive
// chat driven through a pseudo-terminal (test-support/pty/bridge.py), and the audit log they leave.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../config/index.ts';
import {
  buildFixtures,
  SIDECAR_DIR,
  VENV_PYTHON,
  waitUntil,
} from '../../../test-support/sidecar/kit.ts';
import { slowLoadEnv } from '../../../test-support/sidecar/slowLoad.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { tsxArgv } from '../../../test-support/tsx.ts';
import { EXIT, run } from './index.ts';
import { writeServeFile } from './serveFile.ts';

// The entry users run (npm run orchard, the bin script); serve is started through it too.
const MAIN = path.join(REPO_ROOT, 'src-main/core/cli/bin.ts');
const BRIDGE = path.join(REPO_ROOT, 'test-support/pty/bridge.py');
const REASONER = 'orchard-fixtures/scripted-reasoner';
const ENDLESS = 'orchard-fixtures/scripted-endless';
const LARGE = 'orchard-fixtures/large-llama';
// What the scripted reasoner thinks and answers, whatever it is asked.
const THOUGHT = 'Let me count: 1 2 3 4 5 6 7 8 9.';
const ANSWER = 'The numbers are 1, 2, 3, 4, 5, 6, 7, 8, and 9!';
const PASTED = 'Count to nine.\nIn words, please.';

interface Row {
  model: string | null;
  status: number;
  errorCode: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  route: string;
}

describe('orchard run and orchard logs (against a running serve)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let env: NodeJS.ProcessEnv;
  let serve: ChildProcess;

  beforeAll(async () => {
    tmp = makeTempDir('orchard-run-');
    const cache = path.join(tmp.dir, 'hub');
    buildFixtures(cache);
    // A small "large" model whose load the sidecar's test brake slows to a couple of seconds, so `run`
    // sees its percentage while the first answer waits.
    execFileSync(VENV_PYTHON, ['-m', 'orchard_fixtures', 'large', '--cache', cache, '--mb', '64'], {
      cwd: SIDECAR_DIR,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    env = {
      ...process.env,
      ORCHARD_HOME: path.join(tmp.dir, 'home'),
      ORCHARD_PORT: '0',
      HF_HUB_CACHE: cache,
      ...slowLoadEnv(LARGE, 120),
    };
    delete env.NO_COLOR;
    const [cmd, args] = tsxArgv(MAIN, 'serve');
    serve = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let ready = '';
    serve.stdout!.on('data', (b: Buffer) => (ready += b.toString()));
    await waitUntil(
      () => ready.includes('\n') || serve.exitCode !== null,
      120_000,
      'the ready line',
    );
    expect(ready).toMatch(/^Orchard is ready/);
  });

  afterAll(async () => {
    if (serve && serve.exitCode === null) {
      const exited = new Promise((r) => serve.once('exit', r));
      serve.kill('SIGTERM');
      await exited;
    }
    tmp?.cleanup();
  });

  async function cli(args: string[], onInterrupt?: (fn: () => void) => void) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(
      args,
      {
        out: (s) => out.push(s),
        err: (s) => err.push(s),
        ...(onInterrupt
          ? {
              onInterrupt: (fn: () => void) => {
                onInterrupt(fn);
                return () => {};
              },
            }
          : {}),
      },
      env,
    );
    return { code, out, err: err.join('\n') };
  }

  /** The CLI as its own process, stdin a pipe (not a terminal). */
  function spawnCli(args: string[], stdin: string) {
    const [cmd, argv] = tsxArgv(MAIN, ...args);
    const child = spawn(cmd, argv, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdin!.end(stdin);
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
      child.once('close', (code) => resolve({ code, stdout, stderr })),
    );
  }

  /** The CLI on a pseudo-terminal: keys typed in, the screen read back. */
  function terminal(args: string[]) {
    const [cmd, argv] = tsxArgv(MAIN, ...args);
    const child = spawn(VENV_PYTHON, [BRIDGE, cmd, ...argv], {
      env,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let screen = '';
    child.stdout!.on('data', (b: Buffer) => (screen += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    return {
      get screen() {
        return screen;
      },
      type: (keys: string) => child.stdin!.write(keys),
      /** Waits for `what` to appear after position `from` of the screen; returns the position after it. */
      async until(what: string, from: number): Promise<number> {
        await waitUntil(
          () => screen.indexOf(what, from) >= 0 || child.exitCode !== null,
          60_000,
          JSON.stringify(what),
        );
        const at = screen.indexOf(what, from);
        if (at < 0) throw new Error(`exited before ${JSON.stringify(what)}: ${screen}`);
        return at + what.length;
      },
      exited,
      kill: () => child.kill('SIGKILL'),
    };
  }

  /** The endless model's rows once `n` of them show a request closed by the client (bounded wait). */
  async function stoppedRows(n: number): Promise<Row[]> {
    let rows: Row[] = [];
    for (let i = 0; i < 100; i++) {
      rows = (await logRows('--model', ENDLESS)).filter((r) => r.status === 499);
      if (rows.length >= n) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return rows;
  }

  async function logRows(...args: string[]): Promise<Row[]> {
    const r = await cli(['logs', '--json', ...args]);
    expect(r.code).toBe(EXIT.ok);
    return JSON.parse(r.out.join('\n')) as Row[];
  }

  it('with a PROMPT or piped stdin: the answer alone on stdout (no reasoning), exit 0', async () => {
    const inProcess = await cli(['run', REASONER, 'Count', 'to', 'nine']);
    expect(inProcess).toMatchObject({ code: EXIT.ok, err: '' });
    expect(inProcess.out.join('\n')).toBe(ANSWER);

    const piped = await spawnCli(['run', REASONER], 'Count to nine, please.\n');
    expect(piped).toEqual({ code: 0, stdout: `${ANSWER}\n`, stderr: '' });
  });

  it('errors: an unknown model gives the server message, no serve gives the usual one, no prompt is usage', async () => {
    const unknown = await cli(['run', 'org/not-there', 'hello']);
    expect(unknown.code).toBe(EXIT.error);
    expect(unknown.out).toEqual([]);
    expect(unknown.err).toMatch(/^Error: The model 'org\/not-there' does not exist/);

    const none = await run(
      ['run', REASONER, 'hi'],
      { out: () => {}, err: (s) => expect(s).toMatch(/Orchard is not running/) },
      { ...env, ORCHARD_HOME: path.join(tmp.dir, 'elsewhere') },
    );
    expect(none).toBe(EXIT.error);
    // A discovery file whose process lives but whose port answers nothing (serve stopping, say).
    const gone = path.join(tmp.dir, 'gone');
    fs.mkdirSync(gone);
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    writeServeFile(path.join(gone, 'serve.json'), { pid: process.pid, port, token: 't' });
    const errs: string[] = [];
    const unreachable = await run(
      ['run', REASONER, 'hi'],
      { out: () => {}, err: (s) => errs.push(s) },
      { ...env, ORCHARD_HOME: gone },
    );
    expect(unreachable).toBe(EXIT.error);
    expect(errs.join('\n')).toMatch(
      /cannot reach Orchard at .* \(ECONNREFUSED\); is it still running/,
    );
    expect((await cli(['run', REASONER])).code).toBe(EXIT.usage);
    expect((await cli(['run'])).code).toBe(EXIT.usage);
  });

  it('interactive: streamed answers, reasoning dim and collapsed, history kept, /bye leaves with 0', async () => {
    const t = terminal(['run', REASONER]);
    try {
      let at = await t.until('>>> ', 0);
      // Two lines pasted at once are one message (checked against the same text sent once, below).
      t.type(`${PASTED.replace('\n', '\r')}\r`);
      at = await t.until(ANSWER, at);
      // The reasoning showed as one dim line rewritten in place, collapsed before the answer.
      const first = t.screen.slice(0, at);
      expect(first).toContain(`\x1b[2mThinking… Let me count`);
      expect(first).toContain(`\x1b[2mThought for `);
      expect(first).toContain(`: ${THOUGHT}\x1b[22m`);
      at = await t.until('>>> ', at);
      t.type('And again?\r');
      at = await t.until(ANSWER, at);
      at = await t.until('>>> ', at);
      t.type('/reasoning\r');
      at = await t.until(`\x1b[2m${THOUGHT}\x1b[22m`, at);
      // Ctrl-C at an empty prompt does not leave on its own: it says how to.
      t.type('\x03');
      at = await t.until('Ctrl-C again, Ctrl-D or /bye to leave', at);
      t.type('/bye\r');
      expect(await t.exited).toBe(0);
    } finally {
      t.kill();
    }
    // The second question was sent with the first exchange before it: a longer prompt, same answer.
    const all = await logRows('--model', REASONER);
    expect(all).toHaveLength(2 + 2); // the first test's two, this session's two
    const rows = all.slice(-2);
    expect(rows.map((r) => r.status)).toEqual([200, 200]);
    expect(rows[1]!.promptTokens!).toBeGreaterThan(rows[0]!.promptTokens! + 20);
    expect((await cli(['run', REASONER, PASTED])).code).toBe(EXIT.ok);
    const [once] = (await logRows('--model', REASONER)).slice(-1);
    expect(once!.promptTokens).toBe(rows[0]!.promptTokens);
  });

  it('interactive: Ctrl-C stops a long answer and returns to the prompt; Ctrl-D leaves', async () => {
    const t = terminal(['run', ENDLESS]);
    try {
      let at = await t.until('>>> ', 0);
      t.type('Tell me about Jack.\r');
      // Mid-answer: the endless model repeats its line until stopped.
      at = await t.until('a dull boy.', at);
      at = await t.until('a dull boy.', at);
      t.type('\x03');
      at = await t.until('(answer stopped)', at);
      await t.until('>>> ', at);
      t.type('\x04');
      expect(await t.exited).toBe(0);
    } finally {
      t.kill();
    }
    // The request was closed by the client, and the gateway logged it as such (once it noticed).
    expect(await stoppedRows(1)).toEqual([
      expect.objectContaining({ model: ENDLESS, status: 499, errorCode: 'client_closed' }),
    ]);
  });

  it('with a PROMPT on a terminal: the dim reasoning line (stderr), and Ctrl-C stops the answer (130)', async () => {
    const r = terminal(['run', REASONER, 'Count to nine.']);
    const e = terminal(['run', ENDLESS, 'Tell me about Jack.']);
    try {
      const at = await r.until(ANSWER, 0);
      expect(r.screen.slice(0, at)).toContain(`\x1b[2mThought for `);
      expect(await r.exited).toBe(0);
      let mid = await e.until('a dull boy.', 0);
      mid = await e.until('a dull boy.', mid);
      e.type('\x03'); // the terminal turns it into SIGINT for the foreground process
      await e.until('(answer stopped)', mid);
      expect(await e.exited).toBe(130);
    } finally {
      r.kill();
      e.kill();
    }
    expect(await stoppedRows(2)).toHaveLength(2);
  });

  it('logs: --json rows for the requests (never their text), --model and --status filter, the table', async () => {
    const all = await logRows('--limit', '500');
    const models = new Set(all.map((r) => r.model));
    expect(models).toEqual(new Set([REASONER, ENDLESS, 'org/not-there']));
    expect(JSON.stringify(all)).not.toContain('Count to nine');
    expect(JSON.stringify(all)).not.toContain(ANSWER);

    const reasoner = await logRows('--model', REASONER);
    expect(reasoner.length).toBeGreaterThanOrEqual(5);
    expect(reasoner.every((r) => r.model === REASONER && r.status === 200)).toBe(true);
    expect(reasoner.every((r) => r.route === `local:${REASONER}` && r.completionTokens! > 0)).toBe(
      true,
    );
    const errors = await logRows('--status', 'error');
    expect(errors.map((r) => [r.model, r.status]).sort()).toEqual(
      [
        [ENDLESS, 499],
        [ENDLESS, 499],
        ['org/not-there', 404],
      ].sort(),
    );
    expect(await logRows('--status', 'ok', '--limit', '2')).toHaveLength(2);

    const table = await cli(['logs', '--model', REASONER, '--limit', '1']);
    expect(table.out.join('\n').split('\n')).toEqual([
      expect.stringMatching(/^TIME +ENDPOINT +MODEL +STATUS +TOKENS +LATENCY +ROUTE$/),
      expect.stringMatching(
        new RegExp(
          `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  /v1/chat/completions +${REASONER} +200 +\\d+→\\d+ +\\S+ (ms|s) +local:${REASONER}$`,
        ),
      ),
    ]);
    expect((await cli(['logs', '--status', 'bad'])).code).toBe(EXIT.usage);
  });

  it('logs --follow --json prints a new request as one JSON line, until Ctrl-C', async () => {
    const lines: string[] = [];
    let interrupt: (() => void) | null = null;
    const following = run(
      ['logs', '--follow', '--json', '--model', REASONER, '--limit', '1'],
      {
        out: (s) => lines.push(s),
        err: (s) => lines.push(`err ${s}`),
        onInterrupt: (fn) => {
          interrupt = fn;
          return () => (interrupt = null);
        },
      },
      env,
    );
    await waitUntil(() => lines.length === 1, 30_000, 'the last row');
    expect((await cli(['run', REASONER, 'Once more'])).code).toBe(EXIT.ok);
    await waitUntil(() => lines.length === 2, 30_000, 'the new row');
    interrupt!();
    expect(await following).toBe(EXIT.ok);
    const rows = lines.map((l) => JSON.parse(l) as Row & { requestId: string });
    expect(rows[1]).toMatchObject({ model: REASONER, status: 200 });
    expect(rows[1]!.requestId).not.toBe(rows[0]!.requestId);
  });

  it('a model not loaded yet is loaded just in time, its progress line shown while it loads', async () => {
    const t = terminal(['run', LARGE, 'Hello?']);
    try {
      const at = await t.until(`Loading ${LARGE}: `, 0);
      await waitUntil(
        () => /Loading \S+: \d+% \(/.test(t.screen.slice(at)),
        60_000,
        'a percentage',
      );
      // The load goes on in serve (another client may want the model); the request is stopped.
      t.type('\x03');
      expect(await t.exited).toBe(130);
    } finally {
      t.kill();
    }
    const shown = [...t.screen.matchAll(/Loading \S+: (\d+)%/g)].map((m) => Number(m[1]));
    console.info(`[figure] orchard run load progress seen: ${JSON.stringify(shown)}`);
    expect(shown).toEqual([...shown].sort((a, b) => a - b));
  });
});
