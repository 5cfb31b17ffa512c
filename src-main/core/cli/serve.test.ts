// `orchard serve` as a child process in a temp ORCHARD_HOME with the real sidecar and a fixture model:
// the one printed line, GET /v1/models, the UI page, CLI commands against it, pinned preload,
// the memory limit, and a clean SIGTERM (no python process of ours left, discovery file removed).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../config/index.ts';
import { openDatabase } from '../db/index.ts';
import { MEMORY_LIMIT_SETTING } from '../memory/index.ts';
import { profileService } from '../profiles/index.ts';
import { settingsStore } from '../settings/index.ts';
import {
  buildFixtures,
  pidsWithEnv,
  SIDECAR_DIR,
  VENV_PYTHON,
  waitUntil,
} from '../../../test-support/sidecar/kit.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { tsxArgv } from '../../../test-support/tsx.ts';
import { EXIT, run } from './index.ts';

const MODEL = 'orchard-fixtures/random-llama';
const LARGE = 'orchard-fixtures/large-llama';

describe('orchard serve (integration)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let env: NodeJS.ProcessEnv;
  let child: ChildProcess;
  let stdout = '';
  let line = '';

  beforeAll(async () => {
    tmp = makeTempDir('orchard-serve-');
    const cache = path.join(tmp.dir, 'hub');
    buildFixtures(cache);
    // 400 MB of weights: a load long enough for `orchard load` to show its progress.
    execFileSync(VENV_PYTHON, ['-m', 'orchard_fixtures', 'large', '--cache', cache], {
      cwd: SIDECAR_DIR,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const home = path.join(tmp.dir, 'home');
    env = { ...process.env, ORCHARD_HOME: home, ORCHARD_PORT: '0', HF_HUB_CACHE: cache };
    // A pinned profile and a memory limit, set before start-up, must be applied by serve.
    const db = openDatabase(path.join(home, 'orchard.db'));
    profileService(db).create({
      name: 'Pinned',
      model: MODEL,
      params: { keep_loaded: true, temperature: 0 },
    });
    settingsStore(db).set(MEMORY_LIMIT_SETTING, { gb: 3 });
    db.close();

    const [cmd, args] = tsxArgv(path.join(REPO_ROOT, 'src-main/core/cli/main.ts'), 'serve');
    child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    await waitUntil(
      () => stdout.includes('\n') || child.exitCode !== null,
      120_000,
      'the ready line',
    );
    line = stdout.split('\n')[0]!;
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    tmp?.cleanup();
  });

  async function cli(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(args, { out: (s) => out.push(s), err: (s) => err.push(s) }, env);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('prints one ready line with the UI address (token) and the API base URL', () => {
    expect(line).toMatch(
      /^Orchard is ready: UI http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+ · API http:\/\/127\.0\.0\.1:\d+\/v1$/,
    );
  });

  it('serves GET /v1/models with the local models and the profiles, and the UI page', async () => {
    const api = /API (\S+)/.exec(line)![1]!;
    const res = await fetch(`${api}/models`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      object: string;
      data: Array<{ id: string; owned_by: string }>;
    };
    expect(body.object).toBe('list');
    const ids = body.data.map((m) => m.id);
    expect(ids).toContain(MODEL);
    expect(ids).toContain('Pinned');
    const missing = await fetch(`${api}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(
      /no route/,
    );
    const ui = await fetch(/UI (\S+)/.exec(line)![1]!);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/<html|<!doctype/i);
    // Web mode sends the desktop window's CSP: scripts and connections only to this origin.
    const csp = ui.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${new URL(api).port}`);
  });

  it('CLI commands reach it: status, ps (pinned model preloaded, limit applied), load/unload', async () => {
    const st = await cli('status', '--json');
    expect(st.code).toBe(EXIT.ok);
    expect(JSON.parse(st.out)).toMatchObject({ sidecar: { state: 'ready' } });
    let mem: { limitBytes: number; models: Array<{ id: string; pinned: boolean }> } = {
      limitBytes: 0,
      models: [],
    };
    // Preloading runs after ready; poll ps until it shows up (bounded).
    for (let i = 0; i < 600 && mem.models.length === 0; i++) {
      mem = JSON.parse((await cli('ps', '--json')).out);
      if (mem.models.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(mem.models).toEqual([expect.objectContaining({ id: MODEL, pinned: true })]);
    expect(mem.limitBytes).toBe(3 * 1024 ** 3);
    expect((await cli('ps')).out).toMatch(/orchard-fixtures\/random-llama .* pinned/);

    const unload = await cli('unload', MODEL, '--json');
    expect(unload.code).toBe(EXIT.ok);
    const load = await cli('load', MODEL, '--json');
    expect(load.code).toBe(EXIT.ok);
    expect(JSON.parse(load.out)).toMatchObject({ id: MODEL, loaded: true });
    const bad = await cli('load', 'org/not-there');
    expect(bad.code).toBe(EXIT.error);
    // A draft model loaded with it (same tokenizer), listed as its draft; unloaded together.
    const withDraft = await cli('load', MODEL, '--draft', 'orchard-fixtures/random-llama-b');
    expect(withDraft.code, withDraft.err).toBe(EXIT.ok);
    const ps = JSON.parse((await cli('ps', '--json')).out) as {
      models: Array<{ id: string; draftOf?: string[] }>;
    };
    expect(ps.models.find((m) => m.id === 'orchard-fixtures/random-llama-b')?.draftOf).toEqual([
      MODEL,
    ]);
  });

  it('load shows progress lines (percent of weights read) that never go back', async () => {
    const lines: string[] = [];
    const io = (onLine: (s: string) => void) => ({
      out: () => {},
      err: (s: string) => lines.push(`err ${s}`),
      progress: onLine,
    });
    const shown: number[] = [];
    const progress: string[] = [];
    const loaded = await run(
      ['load', LARGE],
      io((s) => {
        progress.push(s);
        const m = /Loading .*: (\d+)%/.exec(s);
        if (m) shown.push(Number(m[1]));
      }),
      env,
    );
    expect(loaded).toBe(EXIT.ok);
    console.info(`[figure] orchard load progress lines: ${JSON.stringify(shown)}`);
    expect(shown).toEqual([...shown].sort((a, b) => a - b));
    // At least one line while it loads (the first phase reads config and tokenizer), ended by a newline.
    expect(progress.filter((l) => l.startsWith(`Loading ${LARGE}: `)).length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe('\n');
    expect((await cli('unload', LARGE)).code).toBe(EXIT.ok);
  });

  it('SIGTERM stops cleanly: exit 0, discovery file removed, no python process of ours left', async () => {
    const serveFile = path.join(env.ORCHARD_HOME!, 'serve.json');
    expect(fs.existsSync(serveFile)).toBe(true);
    const ours = `HF_HUB_CACHE=${env.HF_HUB_CACHE}`;
    // The serve process itself carries the env too; the others are the sidecar and its helpers.
    const python = pidsWithEnv(ours).filter((p) => p !== child.pid);
    const cmdlines = python.map((p) =>
      fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' '),
    );
    expect(cmdlines.some((c) => c.includes('-m orchard_sidecar'))).toBe(true);
    console.info(`[figure] processes of ours before stop: ${JSON.stringify(cmdlines)}`);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(fs.existsSync(serveFile)).toBe(false);
    expect(pidsWithEnv(ours)).toEqual([]);
    expect(stdout.trim().split('\n')).toHaveLength(1);
  });
});
