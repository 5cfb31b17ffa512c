// Supervisor behaviour against a protocol-speaking test double (crash loops, hangs, orphans).
// The real-sidecar cases (kill -9 mid-request, no orphan) live in supervisor.real.test.ts.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoreError } from '../errors/index.ts';
import {
  FAKE_SIDECAR,
  VENV_PYTHON,
  memoryLogger,
  pidsMatching,
  waitUntil,
} from '../../../test-support/sidecar/kit.ts';
import { ORPHAN_MAKER } from '../../../test-support/crash/index.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { tsxArgv } from '../../../test-support/tsx.ts';
import {
  backoffDelay,
  createSupervisor,
  readPidFile,
  type SidecarState,
  type SidecarStatus,
  type Supervisor,
  type SupervisorOptions,
} from './index.ts';

describe('supervisor (test double)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let sup: Supervisor | undefined;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(async () => {
    await sup?.stop();
    sup = undefined;
    tmp.cleanup();
  });

  function fake(mode: string, extra: Partial<SupervisorOptions> = {}) {
    const { log, lines } = memoryLogger();
    const s = createSupervisor({
      python: VENV_PYTHON,
      args: [FAKE_SIDECAR, '--mode', mode],
      processMarker: 'fake_sidecar',
      hfHubCache: path.join(tmp.dir, 'hub'),
      pidFile: path.join(tmp.dir, 'sidecar.pid'),
      log,
      backoffBaseMs: 50,
      backoffMaxMs: 200,
      healthIntervalMs: 100,
      healthTimeoutMs: 300,
      ...extra,
    });
    const states: SidecarState[] = [];
    const statuses: SidecarStatus[] = [];
    s.events.on('state', (st) => {
      states.push(st.state);
      statuses.push(st);
    });
    sup = s;
    return { s, states, statuses, lines };
  }

  it('backoff grows exponentially with jitter and a cap', () => {
    expect(backoffDelay(1, 500, 15_000, () => 0.5)).toBe(500);
    expect(backoffDelay(3, 500, 15_000, () => 0.5)).toBe(2000);
    expect(backoffDelay(10, 500, 15_000, () => 0.5)).toBe(15_000);
    expect(backoffDelay(1, 500, 15_000, () => 0)).toBe(375);
    expect(backoffDelay(1, 500, 15_000, () => 1)).toBe(625);
  });

  it('starts, passes the secret, re-emits JSON log lines and stderr into the logger', async () => {
    const { s, states, lines } = fake('ok');
    await s.start();
    expect(s.status()).toMatchObject({ state: 'ready', inFlight: 0 });
    expect(states).toEqual(['starting', 'ready']);
    const health = await s.json<{ status: string; pid: number }>('/health');
    expect(health).toEqual({ status: 'ok', pid: s.status().pid });
    expect(readPidFile(path.join(tmp.dir, 'sidecar.pid'))?.pid).toBe(s.status().pid);
    await waitUntil(() => lines.some((l) => l.stream === 'stderr'), 5000, 'stderr line');
    expect(lines.find((l) => l.message === 'starting')).toMatchObject({
      level: 'info',
      mode: 'ok',
      component: 'sidecar',
    });
    expect(lines.find((l) => l.stream === 'stderr')).toMatchObject({
      message: 'fake sidecar: a line on stderr',
    });
    await s.stop();
    expect(s.status().state).toBe('stopped');
    expect(readPidFile(path.join(tmp.dir, 'sidecar.pid'))).toBeNull();
  });

  it('a sidecar that exits at once three times ends in `crashed` with its stderr', async () => {
    const { s, states } = fake('exit');
    const err = await s.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CoreError);
    expect((err as CoreError).message).toContain('fake sidecar refuses to start');
    expect(states).toEqual([
      'starting',
      'restarting',
      'starting',
      'restarting',
      'starting',
      'crashed',
    ]);
    const st = s.status();
    expect(st).toMatchObject({
      state: 'crashed',
      recentCrashes: 3,
      lastError: 'sidecar exited with code 3',
    });
    expect(st.stderrTail).toContain('RuntimeError: fake sidecar refuses to start');
    await expect(s.request('/health')).rejects.toMatchObject({ code: 'sidecar_unavailable' });
  });

  it('a missing interpreter also ends in `crashed` instead of hanging', async () => {
    const { s } = fake('ok', { python: path.join(tmp.dir, 'no-such-python') });
    await expect(s.start()).rejects.toMatchObject({ code: 'sidecar_unavailable' });
    expect(s.status().state).toBe('crashed');
    expect(s.status().lastError).toMatch(/ENOENT/);
  });

  it('restart waits for the new child, after a stop and after a crash loop, on another interpreter when given', async () => {
    const { s, states } = fake('ok', { python: path.join(tmp.dir, 'no-such-python') });
    await expect(s.start()).rejects.toMatchObject({ code: 'sidecar_unavailable' });
    // As after an engine repair: the sidecar moves onto the working Python.
    await s.restart({ python: VENV_PYTHON });
    expect(s.status().state).toBe('ready');
    expect(readPidFile(path.join(tmp.dir, 'sidecar.pid'))?.python).toBe(VENV_PYTHON);
    const first = s.status().pid;
    states.length = 0;
    await s.restart();
    expect(states).toEqual(['stopped', 'starting', 'ready']);
    expect(s.status().pid).not.toBe(first);
    expect((await s.json<{ pid: number }>('/health')).pid).toBe(s.status().pid);
  });

  it('kills a sidecar that never prints its ready line (start-up watchdog)', async () => {
    const { s, states } = fake('noready', { startTimeoutMs: 1500, crashLimit: 1 });
    await expect(s.start()).rejects.toThrow(/did not become ready/);
    expect(states).toEqual(['starting', 'crashed']);
    expect(pidsMatching(FAKE_SIDECAR)).toEqual([]);
  });

  it('restarts a hung sidecar whose health checks stop answering', async () => {
    const { s, states, statuses } = fake('hang', { healthFailures: 2, crashLimit: 2 });
    await s.start();
    const firstPid = s.status().pid;
    await waitUntil(() => states.includes('restarting'), 15_000, 'restart');
    // Read the reason from the 'restarting' event itself: the relaunch clears it a backoff later.
    const restarting = statuses.find((st) => st.state === 'restarting');
    expect(restarting?.lastError ?? '').toMatch(/health checks/);
    await waitUntil(
      () => s.status().state === 'ready' || s.status().state === 'crashed',
      15_000,
      'second launch',
    );
    expect(s.status().pid).not.toBe(firstPid);
  });

  it('a request in flight when the child dies fails at once; the next succeeds after restart', async () => {
    const { s } = fake('ok');
    await s.start();
    const pid = s.status().pid!;
    const slow = s.request('/slow');
    await waitUntil(() => s.status().inFlight === 1, 5000, 'request in flight');
    process.kill(pid, 'SIGKILL');
    await expect(slow).rejects.toMatchObject({ code: 'sidecar_exited' });
    // request() waits for the automatic restart instead of failing.
    const again = await s.json<{ pid: number }>('/health');
    expect(again.pid).not.toBe(pid);
    expect(s.status().recentCrashes).toBe(1);
  });

  it('ends an orphan left by a core that was killed hard, after checking its command line', async () => {
    const pidFile = path.join(tmp.dir, 'sidecar.pid');
    // A "previous core" process starts a sidecar and is SIGKILLed, leaving the sidecar running.
    const [cmd, args] = tsxArgv(ORPHAN_MAKER, pidFile, FAKE_SIDECAR);
    const core = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const orphanPid = await new Promise<number>((resolve, reject) => {
      core.stdout.on('data', (b: Buffer) => {
        const m = /ready (\d+)/.exec(b.toString());
        if (m) resolve(Number(m[1]));
      });
      core.on('exit', (c) => reject(new Error(`orphan maker exited ${c}`)));
    });
    core.kill('SIGKILL');
    await new Promise((r) => core.once('exit', r));
    expect(pidsMatching(FAKE_SIDECAR)).toContain(orphanPid);

    const { s } = fake('ok');
    await s.start();
    await waitUntil(() => !pidsMatching(FAKE_SIDECAR).includes(orphanPid), 5000, 'orphan gone');
    expect(pidsMatching(FAKE_SIDECAR)).toEqual([s.status().pid]);
  });

  it('never kills an unrelated process named in a stale pid file', async () => {
    const pidFile = path.join(tmp.dir, 'sidecar.pid');
    const bystander = spawn('sleep', ['30']);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      pidFile,
      JSON.stringify({ pid: bystander.pid, python: VENV_PYTHON, marker: 'fake_sidecar' }),
    );
    const { s } = fake('ok');
    await s.start();
    expect(bystander.exitCode).toBeNull();
    expect(pidsMatching('sleep 30')).toContain(bystander.pid);
    bystander.kill();
  });
});
