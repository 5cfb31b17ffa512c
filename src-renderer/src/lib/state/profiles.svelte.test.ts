// ProfilesState against an in-memory profile store: the profile in the editor, create / update /
// duplicate / delete / make default with their messages, and core's refusals placed next to a field.
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../api/index.ts';
import { appWith, FakeCore } from '../../../test/fakeCore.ts';
import { profile } from '../../../test/fixtures.ts';
import type { Profile } from './app.svelte.ts';
import { ProfilesState } from './profiles.svelte.ts';

describe('ProfilesState', () => {
  let core: FakeCore;
  let store: Profile[];
  let state: ProfilesState;

  beforeEach(async () => {
    store = [profile('p1', { name: 'Precise', isDefault: true }), profile('p2', { name: 'Loose' })];
    let next = 3;
    const byId = (id: string) => {
      const p = store.find((x) => x.id === id);
      if (!p) throw new ApiError('not_found', `no profile ${id}`);
      return p;
    };
    const taken = (name: string, id?: string) => {
      if (store.some((p) => p.name === name && p.id !== id))
        throw new ApiError('conflict', `a profile named ${name} exists`);
    };
    core = new FakeCore()
      .answer('profiles.list', () => [...store])
      .answer('profiles.create', ({ name, model }) => {
        taken(name);
        const p = profile(`p${next++}`, { name, model });
        store.push(p);
        return p;
      })
      .answer('profiles.update', ({ id, patch }) => {
        if (patch.name) taken(patch.name, id);
        const p = { ...byId(id), ...patch, params: patch.params ?? byId(id).params };
        store = store.map((x) => (x.id === id ? p : x));
        return p;
      })
      .answer('profiles.duplicate', ({ id }) => {
        const p = { ...byId(id), id: `p${next++}`, name: `${byId(id).name} copy` };
        store.push(p);
        return p;
      })
      .answer('profiles.delete', ({ id }) => {
        byId(id);
        store = store.filter((p) => p.id !== id);
        return { ok: true };
      })
      .answer('profiles.setDefault', ({ id }) => {
        store = store.map((p) => ({ ...p, isDefault: p.id === id }));
        return byId(id);
      });
    state = new ProfilesState(appWith(core));
    await state.refresh();
  });

  it('asks core for the fit at the profile’s context length and kv_bits; null when it cannot say', async () => {
    const fit = {
      verdict: 'fits' as const,
      supported: true,
      weightsBytes: 1,
      kvBytes: 2,
      overheadBytes: 3,
      totalBytes: 6,
      limitBytes: 100,
      headroomBytes: 94,
      contextLength: 4096,
      notes: ['KV cache counted at 8 bits'],
    };
    core.answer('hub.details', ({ repoId }) => {
      if (repoId === 'org/offline') throw new ApiError('hub_unreachable', 'offline');
      return { fit } as never;
    });
    expect(await state.fit('org/m', 4096, 8)).toEqual(fit);
    expect(core.inputs('hub.details')[0]).toEqual({
      repoId: 'org/m',
      contextLength: 4096,
      kvBits: 8,
    });
    await state.fit('org/m');
    expect(core.inputs('hub.details')[1]).toEqual({ repoId: 'org/m' });
    expect(await state.fit('org/offline', 4096)).toBeNull();
  });

  it('edits the profile it names, and none for "new" or an unknown id', () => {
    expect(state.current).toBeNull();
    state.editing = 'p2';
    expect(state.current?.name).toBe('Loose');
    state.editing = 'new';
    expect(state.current).toBeNull();
  });

  it('creates a profile, opens it in the editor and shows it in the shared list', async () => {
    const r = await state.save(null, { name: 'Creative', model: 'org/m' });
    expect(r).toMatchObject({ ok: true, profile: { id: 'p3', name: 'Creative' } });
    expect(state.editing).toBe('p3');
    expect(state.status).toBe('Saved profile Creative.');
    expect(state.app.profiles.map((p) => p.name)).toEqual(['Precise', 'Loose', 'Creative']);
  });

  it('updates a profile with a patch', async () => {
    await state.save('p2', { name: 'Looser', model: 'org/m2' });
    expect(core.inputs('profiles.update')).toEqual([
      { id: 'p2', patch: { name: 'Looser', model: 'org/m2' } },
    ]);
    expect(state.app.profiles.find((p) => p.id === 'p2')?.name).toBe('Looser');
  });

  it('puts a taken name next to the name field', async () => {
    expect(await state.save(null, { name: 'Loose', model: 'org/m' })).toEqual({
      ok: false,
      field: 'name',
      message: 'a profile named Loose exists',
    });
    expect(state.editing).toBeNull();
  });

  it('puts a parameter core refused next to that parameter', async () => {
    core.fail('profiles.update', 'patch.params.temperature: must be at most 2', 'invalid_params');
    expect(await state.save('p1', { name: 'Precise', model: 'org/m' })).toEqual({
      ok: false,
      field: 'temperature',
      message: 'patch.params.temperature: must be at most 2',
    });
    core.fail('profiles.create', 'model: required', 'invalid_params');
    expect(await state.save(null, { name: 'X', model: '' })).toMatchObject({ field: 'model' });
    core.fail('profiles.create', '(internal) disk I/O error');
    expect(await state.save(null, { name: 'X', model: 'm' })).toMatchObject({ field: '_form' });
  });

  it('duplicates a profile and opens the copy', async () => {
    await state.duplicate('p1');
    expect(state.editing).toBe('p3');
    expect(state.status).toBe('Duplicated as Precise copy.');
    expect(state.app.profiles).toHaveLength(3);
  });

  it('deletes a profile, closing the editor when it showed that one', async () => {
    state.editing = 'p2';
    await state.remove('p1');
    expect(state.editing).toBe('p2');
    expect(state.status).toBe('Deleted Precise.');
    await state.remove('p2');
    expect(state.editing).toBeNull();
    expect(state.app.profiles).toEqual([]);
  });

  it('makes a profile the default', async () => {
    await state.setDefault('p2');
    expect(state.status).toBe('Loose is now the default profile.');
    expect(state.app.profiles.filter((p) => p.isDefault).map((p) => p.id)).toEqual(['p2']);
  });

  it('shows a failed operation and clears the message when the next one works', async () => {
    await state.remove('p9');
    expect(state.error).toBe('no profile p9');
    expect(state.app.profiles).toHaveLength(2);
    await state.setDefault('p1');
    expect(state.error).toBeNull();
  });
});
