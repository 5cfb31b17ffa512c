// EngineState against core's engine methods answered in memory: a checkout's engine (no Repair), a
// repair's steps and log moved on by progress events until the end event, one run at a time, a fresh
// check, and core's refusal shown.
import { beforeEach, describe, expect, it } from 'vitest';
import { appWith, FakeCore, settle } from '../../../test/fakeCore.ts';
import type { EngineProgress, EngineStatus } from '#shared/contract/engine.ts';
import { EngineState } from './engine.svelte.ts';

const versions = {
  python: '3.11.7',
  mlx: '0.32.4',
  mlxLm: '0.32.2',
  sidecar: '0.1.0',
  device: 'Device(cpu, 0)',
};

function engine(over: Partial<EngineStatus> = {}): EngineStatus {
  return {
    mode: 'managed',
    state: 'ready',
    expectedVersion: '0.1.0-abc',
    installedVersion: '0.1.0-abc',
    dir: '/home/u/.orchard/engine/0.1.0-abc',
    python: '/home/u/.orchard/engine/0.1.0-abc/bin/python',
    versions,
    problem: null,
    progress: null,
    verify: { ok: true, at: '2026-12-06T02:00:00.000Z', detail: 'imports' },
    run: null,
    ...over,
  };
}

function progress(over: Partial<EngineProgress>): EngineProgress {
  return {
    step: 'prepare',
    index: 1,
    total: 7,
    state: 'running',
    detail: null,
    percent: null,
    bytes: null,
    ...over,
  };
}

const started = (): EngineStatus =>
  engine({
    state: 'installing',
    run: {
      action: 'repair',
      state: 'running',
      startedAt: '2026-12-06T03:00:00.000Z',
      finishedAt: null,
      steps: [],
      log: [],
      error: null,
      sidecarRestarted: false,
    },
  });

describe('EngineState', () => {
  let core: FakeCore;
  let state: EngineState;

  beforeEach(() => {
    core = new FakeCore()
      .answer('engine.status', () => engine())
      .answer('engine.repair', () => started());
    state = new EngineState(appWith(core));
  });

  it("a checkout's .venv: its versions and state, no Repair, every step pending", async () => {
    core.answer('engine.status', () => engine({ mode: 'venv', expectedVersion: null }));
    await state.refresh();
    expect(state.status).toMatchObject({ mode: 'venv', state: 'ready', versions });
    expect(state.canRepair).toBe(false);
    expect(state.steps.map((s) => `${s.index} ${s.step} ${s.state}`)).toEqual([
      '1 prepare pending',
      '2 resources pending',
      '3 python pending',
      '4 packages pending',
      '5 sidecar pending',
      '6 verify pending',
      '7 switch pending',
    ]);
    await state.repair();
    expect(core.inputs('engine.repair')).toEqual([]);
  });

  it('a repair: each step with its percent and bytes, the log tail, one run at a time, then the end', async () => {
    await state.refresh();
    expect(state.canRepair).toBe(true);
    const repair = state.repair();
    // While the call is in flight nothing has started.
    expect(state.running).toBe(false);
    await repair;
    expect(state.running).toBe(true);
    expect(state.canRepair).toBe(false);
    await state.repair();
    expect(core.inputs('engine.repair')).toHaveLength(1);

    core.emit('engineProgress', progress({ step: 'prepare', state: 'done', percent: 100 }));
    core.emit(
      'engineProgress',
      progress({
        step: 'packages',
        index: 4,
        detail: 'Downloaded numpy',
        percent: 47.5,
        bytes: { done: 100, total: 200 },
      }),
    );
    const packages = state.steps.find((s) => s.step === 'packages')!;
    expect(packages).toMatchObject({ state: 'running', percent: 47.5, bytes: { done: 100 } });
    expect(state.steps[0]).toMatchObject({ step: 'prepare', state: 'done', percent: 100 });
    expect(state.steps[1]!.state).toBe('pending');
    expect(state.status!.run!.log).toEqual(['Downloaded numpy']);

    core.emit(
      'engineProgress',
      progress({ step: 'verify', index: 6, state: 'failed', detail: 'no /health' }),
    );
    expect(state.status!.run!.log.at(-1)).toBe('verify: failed: no /health');

    const end = started();
    core.emit(
      'engineStatus',
      engine({
        run: {
          ...end.run!,
          state: 'failed',
          finishedAt: '2026-12-06T03:01:00.000Z',
          error: 'no /health',
          steps: [progress({ step: 'verify', index: 6, state: 'failed', detail: 'no /health' })],
        },
      }),
    );
    expect(state.running).toBe(false);
    expect(state.canRepair).toBe(true);
    expect(state.status!.run).toMatchObject({ state: 'failed', error: 'no /health' });
    // A late report after the end changes nothing.
    core.emit('engineProgress', progress({ step: 'switch', index: 7 }));
    expect(state.steps.find((s) => s.step === 'switch')!.state).toBe('pending');
  });

  it('a fresh check replaces the last verify; a refused call is shown and the status stays', async () => {
    await state.refresh();
    core.answer('engine.verify', () =>
      engine({
        verify: { ok: false, at: '2026-12-06T04:00:00.000Z', detail: 'No module named mlx' },
      }),
    );
    await state.verify();
    expect(state.status!.verify).toMatchObject({ ok: false, detail: 'No module named mlx' });
    expect(state.checking).toBe(false);

    core.fail('engine.repair', 'another engine install is running (pid 77)', 'conflict');
    await state.repair();
    await settle();
    expect(state.error).toBe('another engine install is running (pid 77)');
    expect(state.status!.state).toBe('ready');
  });
});
