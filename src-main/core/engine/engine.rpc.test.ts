// The engine screen's RPC against the real core: engine.repair returns at once and a second call joins
// the run under way, progress and the outcome arrive on the RPC event channel, a real failing step (a
// packaged app whose uv binary is gone) ends the run with a clear error, the CLI hands a repair to a
// running serve, another process's install is refused, and a checkout's .venv reports the versions
// probed from it and refuses a repair.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../app/index.ts';
import { loadConfig, type Config } from '../config/index.ts';
import { connectRpc, type RpcClient } from '../rpc/index.ts';
import { runEngineCommand } from '../cli/commands-engine.ts';
import { writeServeFile } from '../cli/serveFile.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { EngineProgress, EngineStatus } from '#shared/contract/engine.ts';
import { LOCKS_DIR, lockName, UV_VERSION } from './index.ts';

const VERSION = '0.1.0-rpctest';

/** The packaged app's resources/engine, as dist lays it out, but with its uv binary gone. */
function resourcesWithoutUv(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(LOCKS_DIR, lockName('linux')), path.join(dir, 'requirements.txt'));
  fs.writeFileSync(
    path.join(dir, 'engine.json'),
    JSON.stringify({
      version: VERSION,
      uvVersion: UV_VERSION,
      wheel: 'orchard_sidecar-0.1.0-py3-none-any.whl',
      requirements: 'requirements.txt',
      platform: `${process.platform}-${process.arch}`,
    }),
  );
  return dir;
}

/** Every event of the RPC channel, and a wait for the first that matches (no sleeps). */
function recorder(rpc: RpcClient) {
  const seen: Array<{ event: string; data: unknown }> = [];
  const waiters: Array<{ test: (e: string, d: unknown) => boolean; resolve(d: unknown): void }> =
    [];
  rpc.onEvent((event, data) => {
    seen.push({ event, data });
    for (const w of waiters.filter((x) => x.test(event, data))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(data);
    }
  });
  return {
    /** The event names in the order they arrived. */
    order: () => seen.map((e) => e.event),
    progress: () =>
      seen.filter((e) => e.event === 'engineProgress').map((e) => EngineProgress.parse(e.data)),
    runEnded(): Promise<EngineStatus> {
      const ended = (e: string, d: unknown): boolean =>
        e === 'engineStatus' && EngineStatus.parse(d).run?.state !== 'running';
      const hit = seen.find((x) => ended(x.event, x.data));
      if (hit) return Promise.resolve(EngineStatus.parse(hit.data));
      return new Promise((resolve) =>
        waiters.push({ test: ended, resolve: (d) => resolve(EngineStatus.parse(d)) }),
      );
    },
  };
}

describe('engine RPC', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let core: Core | undefined;
  let rpc: RpcClient | undefined;

  async function start(config: Config): Promise<RpcClient> {
    core = await startCore({ config, http: true, sidecar: false });
    rpc = await connectRpc(`ws://127.0.0.1:${core.web!.port}/rpc?token=${core.web!.token}`);
    return rpc;
  }

  function managed(): Config {
    tmp = makeTempDir('orchard-engine-rpc-');
    const base = loadConfig({ ORCHARD_HOME: path.join(tmp.dir, 'home'), ORCHARD_PORT: '0' });
    return {
      ...base,
      engine: { mode: 'managed', resourcesDir: resourcesWithoutUv(path.join(tmp.dir, 'res')) },
    };
  }

  afterEach(async () => {
    rpc?.close();
    await core?.stop();
    tmp?.cleanup();
    core = rpc = undefined;
  });

  it('repair returns at once, a second call joins it, and a failing step ends the run with a clear error on the event channel', async () => {
    const config = managed();
    const client = await start(config);
    const events = recorder(client);
    const before = await client.call('engine.status');
    expect(before).toMatchObject({ mode: 'managed', state: 'missing', expectedVersion: VERSION });

    // Both calls reach their handlers in the same tick: the install joins the repair under way.
    const [a, b] = await Promise.all([
      core!.dispatcher.call('engine.repair', {}),
      core!.dispatcher.call('engine.install', {}),
    ]);
    expect(a.ok && b.ok).toBe(true);
    const [ra, rb] = [a, b].map((r) => EngineStatus.parse((r as { result: unknown }).result));
    expect(ra!.state).toBe('installing');
    expect(rb!.run).toMatchObject({ action: 'repair', startedAt: ra!.run!.startedAt });

    const end = await events.runEnded();
    const uv = path.join(config.engine!.resourcesDir!, 'uv');
    expect(end.run).toMatchObject({ action: 'repair', state: 'failed', sidecarRestarted: false });
    expect(end.run!.error).toContain(`could not run ${uv}`);
    expect(end.state).toBe('missing');

    const progress = events.progress();
    // The run's start is announced before its first step, and its end after its last.
    const order = events.order().filter((e) => e.startsWith('engine'));
    expect(order[0]).toBe('engineStatus');
    expect(order.at(-1)).toBe('engineStatus');
    expect(order.filter((e) => e === 'engineStatus')).toHaveLength(2);
    // One run: the first step began once.
    expect(progress.filter((p) => p.step === 'prepare' && p.state === 'running')).toHaveLength(1);
    expect(progress.map((p) => `${p.index}/${p.total} ${p.step} ${p.state}`)).toEqual([
      '1/7 prepare running',
      '1/7 prepare done',
      '2/7 resources running',
      '2/7 resources done',
      '3/7 python running',
      '3/7 python failed',
    ]);
    expect(progress.find((p) => p.step === 'resources' && p.state === 'done')!.detail).toBe(
      `engine ${VERSION}`,
    );
    expect(progress.at(-1)!.detail).toContain(`could not run ${uv}`);

    // The run as the screen reads it afterwards: its steps, its log, nothing half-made, the lock free.
    const after = await client.call('engine.status');
    expect(after.run!.steps.map((s) => `${s.step} ${s.state}`)).toEqual([
      'prepare done',
      'resources done',
      'python failed',
    ]);
    expect(after.run!.log.at(-1)).toContain('python: failed: could not run');
    const engineDir = path.join(config.dataDir, 'engine');
    expect(fs.readdirSync(engineDir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('`orchard engine repair` while serve runs: the serve runs it, its progress printed by the CLI', async () => {
    const config = managed();
    const client = await start(config);
    writeServeFile(config.serveFile, {
      pid: process.pid,
      port: core!.web!.port,
      token: core!.web!.token,
    });
    const out: string[] = [];
    const err: string[] = [];
    const code = await runEngineCommand('repair', [], {
      config,
      version: VERSION,
      json: false,
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    expect(code).toBe(1);
    const uv = path.join(config.engine!.resourcesDir!, 'uv');
    expect(err[0]).toBe('Orchard is running: the install runs there.');
    expect(err.slice(1, -1)).toEqual([
      'engine [1/7] prepare…',
      'engine [1/7] prepare: done',
      'engine [2/7] resources…',
      `engine [2/7] resources: done (engine ${VERSION})`,
      'engine [3/7] python…',
      expect.stringMatching(/^engine \[3\/7\] python: failed: could not run /),
    ]);
    expect(err.at(-1)).toContain(`repair failed: could not run ${uv}`);
    expect(out.join('\n')).toMatch(/^Engine: managed · missing/);
    // It was the serve's run (the engine screen shows it), not one in the CLI's own process.
    expect((await client.call('engine.status')).run).toMatchObject({
      action: 'repair',
      state: 'failed',
    });
  });

  it("another process's install is refused with its pid, and its lock is left alone", async () => {
    const config = managed();
    const lock = path.join(config.dataDir, 'engine', '.install.lock');
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    // The process that started this test is alive and is not this one: as another Orchard would be.
    fs.writeFileSync(lock, String(process.ppid));
    const client = await start(config);
    const events = recorder(client);
    expect((await client.call('engine.repair')).state).toBe('installing');
    const end = await events.runEnded();
    expect(end.run!.error).toBe(`another engine install is running (pid ${process.ppid})`);
    expect(events.progress().at(-1)).toMatchObject({ step: 'prepare', state: 'failed' });
    expect(fs.readFileSync(lock, 'utf8')).toBe(String(process.ppid));
  });

  it("a checkout's .venv: the versions probed from it, a fresh verify, and repair refused with the reason", async () => {
    tmp = makeTempDir('orchard-engine-rpc-');
    const config = loadConfig({ ORCHARD_HOME: tmp.dir, ORCHARD_PORT: '0' });
    const client = await start(config);
    // Two screens asking at once share one probe of the .venv.
    const [s, twin] = await Promise.all([
      client.call('engine.status'),
      client.call('engine.status'),
    ]);
    expect(twin.verify).toEqual(s.verify);
    // The same versions read independently from the .venv's package metadata.
    const read = spawnSync(
      config.sidecar.python,
      [
        '-c',
        'import importlib.metadata as m, sys; print(sys.version.split()[0], m.version("mlx"), m.version("mlx-lm"), m.version("orchard-sidecar"))',
      ],
      { encoding: 'utf8' },
    );
    const [python, mlx, mlxLm, sidecar] = read.stdout.trim().split(' ');
    expect(s).toMatchObject({
      mode: 'venv',
      state: 'ready',
      python: config.sidecar.python,
      versions: { python, mlx, mlxLm, sidecar },
      verify: { ok: true },
    });
    expect(s.versions!.device).toMatch(/cpu|gpu/);

    const again = await client.call('engine.verify');
    expect(again.verify!.ok).toBe(true);
    expect(again.verify!.at >= s.verify!.at).toBe(true);

    await expect(client.call('engine.repair')).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('ORCHARD_ENGINE=managed') as unknown,
    });
  });
});
