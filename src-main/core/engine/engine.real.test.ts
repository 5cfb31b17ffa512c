// The managed engine for real: uv from its PyPI wheel, packages from the registry (uv's cache is shared
// between the installs and kept across runs), the CLI and `serve` as a user runs them, a SIGKILL mid-install,
// a damaged engine found and repaired at start, and a repair from the engine screen's RPC on a running serve.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../config/index.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { buildFixtures, fixture, type Fixture } from '../../../test-support/gateway/kit.ts';
import { EngineProgress, EngineStatus } from '#shared/contract/engine.ts';
import { connectRpc } from '../rpc/index.ts';

const UV_CACHE = path.join(REPO_ROOT, 'node_modules', '.cache', 'orchard-uv');
const MAIN = path.join(REPO_ROOT, 'src-main', 'core', 'cli', 'main.ts');
const TSX = import.meta.resolve('tsx');

function cliEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ORCHARD_HOME: home,
    ORCHARD_ENGINE: 'managed',
    ORCHARD_UV_CACHE: UV_CACHE,
    ORCHARD_PORT: '0',
    ...extra,
  };
}

function orchard(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
}

function orchardSync(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: REPO_ROOT,
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
}

function status(home: string): EngineStatus {
  const r = orchardSync(['engine', 'status', '--json'], cliEnv(home));
  return EngineStatus.parse(JSON.parse(r.stdout));
}

/** Collects the lines of a child's stream and resolves when one matches. */
function lines(stream: NodeJS.ReadableStream) {
  const seen: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  readline.createInterface({ input: stream }).on('line', (l) => {
    seen.push(l);
    for (const w of waiters.filter((x) => x.re.test(l))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(l);
    }
  });
  return {
    seen,
    waitFor(re: RegExp, ms = 240_000): Promise<string> {
      const hit = seen.find((l) => re.test(l));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line ${re} in:\n${seen.slice(-20).join('\n')}`)),
          ms,
        );
        waiters.push({
          re,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
  };
}

async function stopGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  process.kill(-child.pid!, signal);
  await gone;
}

/** Runs `serve` until its ready line; returns the API base URL and the serve process. */
async function serveUntilReady(home: string, hub: string) {
  const child = orchard(['serve'], cliEnv(home, { HF_HUB_CACHE: hub }));
  const out = lines(child.stdout!);
  const err = lines(child.stderr!);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`serve exited (${code}):\n${err.seen.slice(-20).join('\n')}`)),
    ),
  );
  const ready = await Promise.race([out.waitFor(/^Orchard is ready/), exited]);
  const api = /API (\S+)/.exec(ready)![1]!;
  const ui = new URL(/UI (\S+)/.exec(ready)![1]!);
  const rpcUrl = `ws://${ui.host}/rpc?token=${ui.searchParams.get('token')}`;
  return { child, api, err, rpcUrl };
}

async function chatAnswers(api: string, f: Fixture): Promise<string> {
  const res = await fetch(`${api}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: f.repo_id,
      messages: [{ role: 'user', content: 'Count to nine.' }],
      max_tokens: 200,
    }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
  return body.choices[0]!.message.content;
}

describe.skipIf(process.platform !== 'linux')('managed engine (real installs)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let fixtures: Fixture[];
  let hub: string;
  const home = () => path.join(tmp.dir, 'home');
  let serving: Awaited<ReturnType<typeof serveUntilReady>> | null = null;

  beforeAll(() => {
    tmp = makeTempDir('orchard-engine-');
    hub = path.join(tmp.dir, 'hub');
    fixtures = buildFixtures(hub);
  });
  afterAll(async () => {
    if (serving) await stopGroup(serving.child);
    tmp?.cleanup();
  });

  it('serve with ORCHARD_ENGINE=managed and an empty ORCHARD_HOME installs with progress, then is ready; the sidecar from the engine answers a chat', async () => {
    expect(status(home()).state).toBe('missing');
    const { child, api, err } = await serveUntilReady(home(), hub);
    try {
      // Progress of every step came before the ready line.
      for (const step of [
        'prepare',
        'resources',
        'python',
        'packages',
        'sidecar',
        'verify',
        'switch',
      ])
        expect(err.seen.some((l) => l.includes(`] ${step}: done`))).toBe(true);
      const s = status(home());
      const f = fixture(fixtures, 'scripted-reasoner');
      expect(await chatAnswers(api, f)).toBe(f.content);
      // The sidecar that answered is the engine's Python, not the checkout's .venv.
      const sidecarPid = JSON.parse(fs.readFileSync(path.join(home(), 'sidecar.pid'), 'utf8')) as {
        python: string;
      };
      expect(sidecarPid.python).toBe(s.python);
    } finally {
      await stopGroup(child);
    }
    const s = status(home());
    expect(s).toMatchObject({ mode: 'managed', state: 'ready', problem: null });
    expect(s.installedVersion).toBe(s.expectedVersion);
    expect(s.python!.startsWith(path.join(home(), 'engine', s.installedVersion!))).toBe(true);
    expect(s.versions).toMatchObject({ mlx: '0.32.4', mlxLm: '0.32.2', sidecar: '0.1.0' });
    expect(s.versions!.python).toMatch(/^3\.1[1-3]\./);
    expect(s.versions!.device).toContain('cpu');
  }, 300_000);

  it('a deleted module is detected at start (engine status says corrupt) and serve repairs it first', async () => {
    const before = status(home());
    const site = path.join(before.dir!, 'lib');
    const [pyDir] = fs.readdirSync(site);
    const victim = path.join(site, pyDir!, 'site-packages', 'mlx_lm', 'generate.py');
    fs.rmSync(victim);
    const broken = status(home());
    expect(broken.state).toBe('corrupt');
    expect(broken.problem).toContain('mlx_lm/generate.py is missing');

    // The serve that repaired at start is left running for the next test (one start fewer).
    serving = await serveUntilReady(home(), hub);
    const { err } = serving;
    expect(err.seen.some((l) => l.includes('] verify: done'))).toBe(true);
    expect(fs.existsSync(victim)).toBe(true);
    expect(status(home())).toMatchObject({
      state: 'ready',
      installedVersion: before.installedVersion,
    });
    // Only the one engine folder is left (the damaged one was replaced, not kept beside it).
    const left = fs
      .readdirSync(path.join(home(), 'engine'))
      .filter((n) => n.startsWith('0.') || n.startsWith('.'));
    expect(left.filter((n) => !n.endsWith('.json'))).toEqual([before.installedVersion]);
  }, 300_000);

  it('engine.repair over RPC on a running serve: every step reported with the packages percent, then the sidecar restarted onto the repaired engine answers', async () => {
    const { child, api, rpcUrl } = serving ?? (await serveUntilReady(home(), hub));
    serving = null;
    const rpc = await connectRpc(rpcUrl);
    try {
      const progress: EngineProgress[] = [];
      const ended = new Promise<EngineStatus>((resolve) =>
        rpc.onEvent((event, data) => {
          if (event === 'engineProgress') progress.push(EngineProgress.parse(data));
          const s = event === 'engineStatus' ? EngineStatus.parse(data) : null;
          if (s?.run && s.run.state !== 'running') resolve(s);
        }),
      );
      const before = await rpc.call('sidecar.status');
      expect(before.state).toBe('ready');
      expect((await rpc.call('engine.repair')).state).toBe('installing');
      const end = await ended;
      expect(end.run, end.run?.log.slice(-5).join('\n')).toMatchObject({
        action: 'repair',
        state: 'succeeded',
        error: null,
        sidecarRestarted: true,
      });
      expect(end.state).toBe('ready');
      expect(end.run!.steps.map((p) => `${p.index}/${p.total} ${p.step} ${p.state}`)).toEqual([
        '1/7 prepare done',
        '2/7 resources done',
        '3/7 python done',
        '4/7 packages done',
        '5/7 sidecar done',
        '6/7 verify done',
        '7/7 switch done',
      ]);
      // uv's lines moved the packages percent forward, never back, to 100.
      const pct = progress.filter((p) => p.step === 'packages').map((p) => p.percent!);
      expect(pct.length).toBeGreaterThan(2);
      expect(pct).toEqual([...pct].sort((a, b) => a - b));
      expect(pct.at(-1)).toBe(100);
      expect(
        end.run!.log.some((l) => /\bInstalled \d+ packages?\b/.test(l)),
        end.run!.log.join('\n'),
      ).toBe(true);
      expect(end.verify).toMatchObject({ ok: true });
      expect(end.verify!.detail).toContain('the sidecar answered /health');

      // A new sidecar process, from the repaired engine's Python, answers as before.
      const after = await rpc.call('sidecar.status');
      expect(after.state).toBe('ready');
      expect(after.pid).not.toBe(before.pid);
      const pidFile = JSON.parse(fs.readFileSync(path.join(home(), 'sidecar.pid'), 'utf8')) as {
        python: string;
      };
      expect(pidFile.python).toBe(end.python);
      const f = fixture(fixtures, 'scripted-reasoner');
      expect(await chatAnswers(api, f)).toBe(f.content);
    } finally {
      rpc.close();
      await stopGroup(child);
    }
  }, 300_000);

  it('an install killed with SIGKILL mid-way leaves a half-made folder that the next install removes, and finishes', async () => {
    const killedHome = path.join(tmp.dir, 'killed');
    const child = orchard(['engine', 'install'], cliEnv(killedHome));
    const err = lines(child.stderr!);
    await err.waitFor(/\] packages…/);
    await stopGroup(child, 'SIGKILL');
    const engineDir = path.join(killedHome, 'engine');
    const half = fs.readdirSync(engineDir).filter((n) => n.startsWith('.staging-'));
    expect(half).toHaveLength(1);
    expect(status(killedHome).state).toBe('missing');

    const again = orchardSync(['engine', 'install'], cliEnv(killedHome));
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain(`removed an interrupted install's folder ${half[0]}`);
    expect(fs.readdirSync(engineDir).filter((n) => n.startsWith('.staging-'))).toEqual([]);
    expect(status(killedHome).state).toBe('ready');
  }, 300_000);

  it('without ORCHARD_ENGINE a checkout keeps its .venv, and install refuses to touch it', () => {
    const env = { ...cliEnv(home()), ORCHARD_ENGINE: '' };
    const r = orchardSync(['engine', 'status', '--json'], env);
    const s = EngineStatus.parse(JSON.parse(r.stdout));
    expect(s).toMatchObject({ mode: 'venv', state: 'ready' });
    expect(s.python).toBe(path.join(REPO_ROOT, 'inference-sidecar', '.venv', 'bin', 'python'));
    // The .venv's own versions, probed (not read from an install record it does not have).
    expect(s.versions).toMatchObject({
      python: expect.stringMatching(/^3\.\d+/),
      mlxLm: expect.any(String),
    });
    const inst = orchardSync(['engine', 'install'], env);
    expect(inst.status).toBe(1);
    expect(inst.stderr).toContain('ORCHARD_ENGINE=managed');
  });
});
