// LibraryState against an in-memory model store: what counts as loaded or pinned, the operations with
// their busy marks and messages, GGUF import with its form errors, and the events that reread the list.
import { beforeEach, describe, expect, it } from 'vitest';
import { appWith, deferred, FakeCore, settle } from '../../../test/fakeCore.ts';
import { libraryModel, localModel, memoryStatus } from '../../../test/fixtures.ts';
import { LibraryState, type LibraryModel } from './library.svelte.ts';

const GB = 1024 ** 3;

describe('LibraryState', () => {
  let core: FakeCore;
  let disk: Map<string, LibraryModel>;
  let loaded: Map<string, { pinned: boolean }>;
  let state: LibraryState;

  beforeEach(async () => {
    disk = new Map(['org/a', 'org/b'].map((id) => [id, libraryModel(id, { sizeBytes: 1.5 * GB })]));
    loaded = new Map();
    core = new FakeCore()
      .answer('library.list', () => [...disk.values()])
      .answer('models.list', () =>
        [...disk.keys()].map((id) =>
          localModel(id, { loaded: loaded.has(id), pinned: loaded.get(id)?.pinned ?? false }),
        ),
      )
      .answer('models.load', ({ model, pin }) => {
        loaded.set(model, { pinned: pin ?? loaded.get(model)?.pinned ?? false });
        return localModel(model, { loaded: true, pinned: loaded.get(model)!.pinned });
      })
      .answer('models.unload', ({ model }) => {
        loaded.delete(model);
        return { ok: true };
      })
      .answer('library.delete', ({ repoId }) => {
        const m = disk.get(repoId)!;
        disk.delete(repoId);
        return { repoId, freedBytes: m.sizeBytes };
      });
    state = new LibraryState(appWith(core));
    await state.refresh();
  });

  it('takes the sidecar’s word on loaded and pinned models', async () => {
    const a = state.models[0]!;
    expect(state.loaded(a)).toBe(false);
    expect(state.loaded({ ...a, loaded: true })).toBe(true);
    loaded.set('org/a', { pinned: true });
    await state.app.refreshModels();
    expect(state.loaded(a)).toBe(true);
    expect(state.pinned('org/a')).toBe(true);
    expect(state.pinned('org/b')).toBe(false);
  });

  it('marks a model busy while its operation runs, then rereads both lists', async () => {
    const reply = deferred<{ ok: true }>();
    core.answer('models.unload', () => reply.promise);
    const done = state.unload('org/a');
    await settle();
    expect(state.busy).toEqual(['org/a']);
    const before = core.calls.length;
    reply.resolve({ ok: true });
    await done;
    expect(state.busy).toEqual([]);
    expect(state.status).toBe('Unloaded org/a.');
    expect(
      core.calls
        .slice(before)
        .map((c) => c.method)
        .sort(),
    ).toEqual(['library.list', 'models.list']);
  });

  it('loads, pins and unpins with a message for each', async () => {
    await state.load('org/a');
    expect(state.status).toBe('Loaded org/a.');
    expect(state.loaded(state.models[0]!)).toBe(true);
    await state.load('org/a', true);
    expect(state.status).toBe('Pinned org/a.');
    expect(state.pinned('org/a')).toBe(true);
    await state.load('org/a', false);
    expect(state.status).toBe('Unpinned org/a.');
    expect(core.inputs('models.load')).toEqual([
      { model: 'org/a' },
      { model: 'org/a', pin: true },
      { model: 'org/a', pin: false },
    ]);
  });

  it('says how much space a deletion freed', async () => {
    await state.remove('org/b');
    expect(state.status).toBe('Deleted org/b; 1.5 GB freed.');
    expect(state.models.map((m) => m.repoId)).toEqual(['org/a']);
  });

  it('shows a failed operation, frees the model and clears the message on the next one', async () => {
    core.fail('models.load', 'not enough memory for org/b');
    await state.load('org/b');
    expect(state.error).toBe('not enough memory for org/b');
    expect(state.busy).toEqual([]);
    await state.unload('org/a');
    expect(state.error).toBeNull();
  });

  it('shows a failed listing', async () => {
    core.fail('library.list', 'cannot read /cache');
    await state.refresh();
    expect(state.error).toBe('cannot read /cache');
    expect(state.models).toHaveLength(2);
  });

  describe('importGguf', () => {
    it('answers a bad form field by field without asking core', async () => {
      const errors = await state.importGguf('model.bin', 'no slash');
      expect(errors).toEqual({
        path: 'use an absolute path',
        repoId: 'a name like local/my-model',
      });
      expect(core.inputs('models.importGguf')).toEqual([]);
      expect(state.importing).toBe(false);
    });

    it('imports, says so and rereads the lists', async () => {
      const reply = deferred<{ id: string; imported: true }>();
      core.answer('models.importGguf', () => reply.promise);
      const done = state.importGguf(' /models/tiny.gguf ', 'local/tiny');
      await settle();
      expect(state.importing).toBe(true);
      disk.set('local/tiny', libraryModel('local/tiny'));
      reply.resolve({ id: 'local/tiny', imported: true });
      expect(await done).toEqual({});
      expect(state.importing).toBe(false);
      expect(state.status).toBe('Imported local/tiny.');
      expect(core.inputs('models.importGguf')).toEqual([
        { path: '/models/tiny.gguf', repoId: 'local/tiny' },
      ]);
      expect(state.models.map((m) => m.repoId)).toContain('local/tiny');
      expect(state.app.models.map((m) => m.id)).toContain('local/tiny');
    });

    it('puts core’s refusal next to the path', async () => {
      core.fail('models.importGguf', 'not a GGUF file');
      expect(await state.importGguf('/models/x.gguf', 'local/x')).toEqual({
        path: 'not a GGUF file',
      });
      expect(state.importing).toBe(false);
    });
  });

  it('rereads the list when memory changes or a download finishes, not for other download states', async () => {
    const lists = () => core.inputs('library.list').length;
    const start = lists();
    core.emit('memoryStatus', memoryStatus());
    await settle();
    expect(lists()).toBe(start + 1);
    core.emit('downloadState', { id: 'd1', repoId: 'org/c', status: 'running', error: null });
    await settle();
    expect(lists()).toBe(start + 1);
    disk.set('org/c', libraryModel('org/c'));
    core.emit('downloadState', { id: 'd1', repoId: 'org/c', status: 'done', error: null });
    await settle();
    expect(lists()).toBe(start + 2);
    expect(state.models.map((m) => m.repoId)).toContain('org/c');
  });
});
