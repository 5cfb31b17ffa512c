// MemoryState against an in-memory core: the live status and its five-minute history, the eviction
// order derived from the loaded models, and the limit form checked before it is sent.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appWith, FakeCore } from '../../../test/fakeCore.ts';
import { localModel, memoryStatus } from '../../../test/fixtures.ts';
import { GB, HISTORY_MS, MemoryState } from './memory.svelte.ts';

describe('MemoryState', () => {
  let core: FakeCore;
  let state: MemoryState;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_700_000_000_000);
    core = new FakeCore()
      .answer('memory.status', () => memoryStatus({ activeBytes: 3 * GB }))
      .answer('models.list', () => [])
      .answer('memory.setLimit', ({ limit }) =>
        memoryStatus({
          limitBytes: 'gb' in limit ? limit.gb * GB : (limit.percent / 100) * 16 * GB,
        }),
      );
    state = new MemoryState(appWith(core));
  });
  afterEach(() => vi.useRealTimers());

  it('reads the status and starts the history with it', async () => {
    await state.refresh();
    expect(state.status?.activeBytes).toBe(3 * GB);
    expect(state.history).toEqual([
      { t: 1_700_000_000_000, activeBytes: 3 * GB, limitBytes: 8 * GB },
    ]);
    expect(state.error).toBeNull();
  });

  it('names loads under way with their percent, and cancels one', async () => {
    const cancelled: string[] = [];
    core
      .answer('memory.status', () =>
        memoryStatus({
          loading: ['org/a', 'org/b'],
          loads: [
            { id: 'org/a', doneBytes: 300, totalBytes: 1000, seconds: 1 },
            { id: 'org/b', doneBytes: 0, totalBytes: null, seconds: 0.1 },
          ],
        }),
      )
      .answer('models.cancelLoad', ({ model }) => {
        cancelled.push(model);
        return { ok: true as const };
      });
    await state.refresh();
    expect(state.loads).toEqual([
      { id: 'org/a', percent: 30 },
      { id: 'org/b', percent: null },
    ]);
    await state.cancelLoad('org/a');
    expect(cancelled).toEqual(['org/a']);
    core.fail('models.cancelLoad', 'No load of org/a is under way');
    await state.cancelLoad('org/a');
    expect(state.error).toMatch(/No load of/);
  });

  it('shows a failed read and keeps the last status', async () => {
    await state.refresh();
    core.fail('memory.status', 'sidecar is starting');
    await state.refresh();
    expect(state.error).toBe('sidecar is starting');
    expect(state.status?.activeBytes).toBe(3 * GB);
  });

  it('adds each status event to the history and forgets samples older than five minutes', () => {
    core.emit('memoryStatus', memoryStatus({ activeBytes: 1 }));
    vi.setSystemTime(1_700_000_000_000 + HISTORY_MS);
    core.emit('memoryStatus', memoryStatus({ activeBytes: 2 }));
    expect(state.history.map((s) => s.activeBytes)).toEqual([1, 2]);
    vi.setSystemTime(1_700_000_000_000 + HISTORY_MS + 1);
    core.emit('memoryStatus', memoryStatus({ activeBytes: 3, limitBytes: null }));
    expect(state.history.map((s) => [s.activeBytes, s.limitBytes])).toEqual([
      [2, 8 * GB],
      [3, null],
    ]);
    expect(state.status?.activeBytes).toBe(3);
  });

  it('orders loaded models for eviction: longest idle first, pinned ones last', async () => {
    const models = ['org/pinned', 'org/fresh', 'org/stale', 'org/unknown'].map((id) => ({
      id,
      footprintBytes: GB,
      pinned: id === 'org/pinned',
    }));
    core.emit('memoryStatus', memoryStatus({ models }));
    core.answer('models.list', () => [
      localModel('org/pinned', { loaded: true, pinned: true, idleSeconds: 9999 }),
      localModel('org/fresh', { loaded: true, idleSeconds: 5 }),
      localModel('org/stale', { loaded: true, idleSeconds: 600 }),
    ]);
    await state.app.refreshModels();
    expect(state.lru.map((m) => m.id)).toEqual([
      'org/stale',
      'org/fresh',
      'org/unknown',
      'org/pinned',
    ]);
    // Derived: a model used just now moves to the end of the unpinned ones.
    core.answer('models.list', () => [
      localModel('org/pinned', { loaded: true, pinned: true, idleSeconds: 9999 }),
      localModel('org/fresh', { loaded: true, idleSeconds: 5 }),
      localModel('org/stale', { loaded: true, idleSeconds: 0 }),
    ]);
    await state.app.refreshModels();
    expect(state.lru.map((m) => m.id)).toEqual([
      'org/fresh',
      'org/stale',
      'org/unknown',
      'org/pinned',
    ]);
  });

  it('shows the prefix cache on disk against its budget, and nothing when it is off', () => {
    core.emit(
      'memoryStatus',
      memoryStatus({ diskPrefixCache: { bytes: GB, budgetBytes: 4 * GB, entries: 12 } }),
    );
    expect(state.diskCache).toEqual({ bytes: GB, budgetBytes: 4 * GB, entries: 12, percent: 25 });
    core.emit(
      'memoryStatus',
      memoryStatus({ diskPrefixCache: { bytes: 0, budgetBytes: 0, entries: 0 } }),
    );
    expect(state.diskCache).toBeNull();
  });

  describe('the limit', () => {
    it('refuses what is not a limit, with a message for the form', async () => {
      await state.refresh();
      expect(state.check('gb', null)).toEqual({ ok: false, message: 'enter a number' });
      expect(state.check('gb', Number.NaN)).toEqual({ ok: false, message: 'enter a number' });
      expect(state.check('gb', 0)).toEqual({ ok: false, message: 'enter a size above 0 GB' });
      expect(state.check('percent', 120)).toEqual({
        ok: false,
        message: 'enter a percentage above 0 and at most 100',
      });
      expect(state.check('gb', 17)).toEqual({ ok: false, message: 'this machine has 16.0 GB' });
      expect(state.check('gb', 12)).toEqual({ ok: true, limit: { gb: 12 } });
      expect(state.check('percent', 50)).toEqual({ ok: true, limit: { percent: 50 } });
    });

    it('sends nothing for a refused value', async () => {
      expect(await state.setLimit('percent', 0)).toMatchObject({ ok: false });
      expect(core.inputs('memory.setLimit')).toEqual([]);
    });

    it('sets the limit, takes the new status and rereads the models', async () => {
      expect(await state.setLimit('percent', 25)).toEqual({ ok: true });
      expect(core.inputs('memory.setLimit')).toEqual([{ limit: { percent: 25 } }]);
      expect(state.status?.limitBytes).toBe(4 * GB);
      expect(state.saved).toBe('Memory limit set to 25%.');
      expect(core.inputs('models.list')).toHaveLength(1);
      await state.setLimit('gb', 6);
      expect(state.saved).toBe('Memory limit set to 6 GB.');
    });

    it('passes core’s refusal back to the form', async () => {
      core.fail('memory.setLimit', 'pinned models need 9 GB');
      expect(await state.setLimit('gb', 4)).toEqual({
        ok: false,
        message: 'pinned models need 9 GB',
      });
      expect(state.saved).toBeNull();
    });
  });
});
