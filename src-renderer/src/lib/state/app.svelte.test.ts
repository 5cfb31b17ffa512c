// AppState against an in-memory core: start-up and its failure, the model list kept fresh by events,
// notices, and loading a model on demand with its progress and error.
import { describe, expect, it } from 'vitest';
import { appWith, deferred, FakeCore, settle } from '../../../test/fakeCore.ts';
import { localModel, memoryStatus, profile, sidecar, status } from '../../../test/fixtures.ts';

function core(): FakeCore {
  return new FakeCore()
    .answer('app.status', () => status({ sidecar: sidecar({ state: 'starting' }) }))
    .answer('models.list', () => [localModel('org/a', { loaded: true }), localModel('org/b')])
    .answer('profiles.list', () => [profile('p1')]);
}

describe('AppState', () => {
  it('reads status, models and profiles at start-up', async () => {
    const app = appWith(core());
    await app.init();
    expect(app.connectionError).toBeNull();
    expect(app.status?.version).toBe('0.1.0');
    expect(app.sidecar?.state).toBe('starting');
    expect(app.models.map((m) => m.id)).toEqual(['org/a', 'org/b']);
    expect(app.profiles.map((p) => p.id)).toEqual(['p1']);
  });

  it('reports a core it cannot reach and asks nothing more', async () => {
    const c = core().fail('app.status', 'connection to Orchard closed (1006)', 'disconnected');
    const app = appWith(c);
    await app.init();
    expect(app.connectionError).toBe('connection to Orchard closed (1006)');
    expect(app.status).toBeNull();
    expect(c.calls.map((x) => x.method)).toEqual(['app.status']);
  });

  it('keeps the last model list while the sidecar cannot answer', async () => {
    const c = core();
    const app = appWith(c);
    await app.refreshModels();
    c.fail('models.list', 'sidecar is starting', 'unavailable');
    await app.refreshModels();
    expect(app.models.map((m) => m.id)).toEqual(['org/a', 'org/b']);
  });

  it('does not hide a failure that is not core answering', async () => {
    const c = core().answer('models.list', () => {
      throw new TypeError('bug');
    });
    await expect(appWith(c).refreshModels()).rejects.toThrow('bug');
  });

  it('follows the sidecar and rereads the models when it is ready again', async () => {
    const c = core();
    const app = appWith(c);
    c.emit('sidecarState', sidecar({ state: 'restarting' }));
    await settle();
    expect(app.sidecar?.state).toBe('restarting');
    expect(c.inputs('models.list')).toHaveLength(0);

    c.answer('models.list', () => [localModel('org/c', { loaded: true })]);
    c.emit('sidecarState', sidecar({ state: 'ready' }));
    await settle();
    expect(app.sidecar?.state).toBe('ready');
    expect(app.models.map((m) => m.id)).toEqual(['org/c']);
  });

  it('rereads the models on every memory status (a model was loaded or evicted)', async () => {
    const c = core();
    const app = appWith(c);
    c.emit('memoryStatus', memoryStatus());
    await settle();
    expect(app.isLoaded('org/a')).toBe(true);
    expect(app.isLoaded('org/b')).toBe(false);
  });

  it('collects notices in order', () => {
    const c = core();
    const app = appWith(c);
    c.emit('notice', { level: 'warning', message: 'database moved aside' });
    c.emit('notice', { level: 'info', message: 'second' });
    expect(app.notices.map((n) => n.message)).toEqual(['database moved aside', 'second']);
  });

  describe('ensureLoaded', () => {
    it('leaves names that are not local models to the gateway', async () => {
      const c = core();
      const app = appWith(c);
      await app.refreshModels();
      expect(await app.ensureLoaded('gpt-4o')).toBe(true);
      expect(await app.ensureLoaded('org/a')).toBe(true);
      expect(c.inputs('models.load')).toEqual([]);
    });

    it('shows the load in flight, then the fresh list', async () => {
      const c = core();
      const app = appWith(c);
      await app.refreshModels();
      const reply = deferred<ReturnType<typeof localModel>>();
      c.answer('models.load', () => reply.promise);
      const done = app.ensureLoaded('org/b');
      await settle();
      expect(app.loading?.model).toBe('org/b');
      expect(app.loadError).toBeNull();

      // Progress from the memory status; Cancel asks core to stop this load.
      c.emit('memoryStatus', {
        ...memoryStatus(),
        loading: ['org/b'],
        loads: [{ id: 'org/b', doneBytes: 40, totalBytes: 80, seconds: 1 }],
      });
      expect(app.loadPercent).toBe(50);
      c.answer('models.cancelLoad', () => ({ ok: true as const }));
      await app.cancelLoad();
      expect(c.inputs('models.cancelLoad')).toEqual([{ model: 'org/b' }]);

      c.answer('models.list', () => [localModel('org/b', { loaded: true })]);
      reply.resolve(localModel('org/b', { loaded: true }));
      expect(await done).toBe(true);
      expect(app.loading).toBeNull();
      expect(app.loadPercent).toBeNull();
      expect(app.isLoaded('org/b')).toBe(true);
      expect(c.inputs('models.load')).toEqual([{ model: 'org/b' }]);
    });

    it('says why a load failed and clears the progress', async () => {
      const c = core().fail('models.load', 'not enough memory');
      const app = appWith(c);
      await app.refreshModels();
      expect(await app.ensureLoaded('org/b')).toBe(false);
      expect(app.loadError).toBe('Could not load org/b: not enough memory');
      expect(app.loading).toBeNull();
    });
  });
});
