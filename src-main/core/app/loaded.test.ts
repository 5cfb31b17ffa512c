// Loaded state through startCore with the real sidecar and fixture models: the library shows what the sidecar
// holds, refuses to delete a loaded model (even one loaded behind core's back a moment ago), and a lowered
// memory limit unloads idle unpinned models at once and announces it.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { loadedModels } from '../memory/index.ts';
import { repoCache } from '../hfcache/index.ts';
import type { MethodName, MethodParams, MethodResult } from '#shared/contract/index.ts';
import type { MemoryStatus } from '#shared/contract/memory.ts';
import { buildFixtures } from '../../../test-support/sidecar/kit.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { startCore, type Core } from './index.ts';

const LLAMA = 'orchard-fixtures/random-llama';

describe('loaded models (real sidecar)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let core: Core;
  let ids: string[];
  const statuses: MemoryStatus[] = [];

  beforeAll(async () => {
    tmp = makeTempDir('orchard-loaded-');
    const cache = path.join(tmp.dir, 'hub');
    ids = buildFixtures(cache).map((f) => f.repo_id);
    const config = loadConfig({ ORCHARD_HOME: tmp.dir, ORCHARD_PORT: '0', HF_HUB_CACHE: cache });
    // Polls far apart: the statuses seen here are the ones changes announce.
    core = await startCore({ config, memoryPollMs: 600_000 });
    expect(core.supervisor.status().state).toBe('ready');
    core.events.on('memoryStatus', (s: MemoryStatus) => statuses.push(s));
  }, 180_000);
  afterAll(async () => {
    await core?.stop();
    tmp?.cleanup();
  });

  async function call<M extends MethodName>(m: M, p: MethodParams<M>): Promise<MethodResult<M>> {
    const r = await core.dispatcher.call(m, p);
    if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
    return r.result as MethodResult<M>;
  }
  const loadedInLibrary = async () =>
    (await call('library.list', {})).filter((m) => m.loaded).map((m) => m.repoId);
  const onDisk = (id: string) => fs.existsSync(repoCache(core.config.hfHubCache, id).root);

  it('models.load with a draft_model loads the draft with it, and unloads both together', async () => {
    const DRAFT = 'orchard-fixtures/random-llama-b';
    await call('models.load', { model: LLAMA, draft_model: DRAFT });
    const status = await call('memory.status', {});
    expect(status.models.find((m) => m.id === DRAFT)?.draftOf).toEqual([LLAMA]);
    expect((await loadedInLibrary()).sort()).toEqual([LLAMA, DRAFT].sort());
    await call('models.unload', { model: LLAMA });
    expect(await loadedInLibrary()).toEqual([]);
    // Another tokenizer: refused at the load, and nothing it brought in stays.
    await expect(
      call('models.load', { model: LLAMA, draft_model: 'orchard-fixtures/random-qwen3' }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/tokenizer/) });
    expect(await loadedInLibrary()).toEqual([]);
  });

  it('library.list shows what the sidecar holds; library.delete refuses a loaded model', async () => {
    expect(await loadedInLibrary()).toEqual([]);
    await call('models.load', { model: LLAMA });
    expect(await loadedInLibrary()).toEqual([LLAMA]);
    await expect(call('library.delete', { repoId: LLAMA })).rejects.toMatchObject({
      code: 'model_loaded',
      message: expect.stringMatching(/unload it first/),
    });
    expect(onDisk(LLAMA)).toBe(true);

    // Loaded straight through the sidecar (as a just-in-time API request does), after the last status:
    // the deletion asks the sidecar itself and still refuses.
    const other = ids.find((id) => id !== LLAMA)!;
    await core.supervisor.json('/admin/models/load', {
      method: 'POST',
      body: JSON.stringify({ model: other }),
    });
    await expect(call('library.delete', { repoId: other })).rejects.toMatchObject({
      code: 'model_loaded',
    });
    expect(onDisk(other)).toBe(true);
    expect((await loadedInLibrary()).sort()).toEqual([LLAMA, other].sort());

    await call('models.unload', { model: other });
    expect(await loadedInLibrary()).toEqual([LLAMA]);
    const r = await call('library.delete', { repoId: other });
    expect(r.freedBytes).toBeGreaterThan(0);
    expect(onDisk(other)).toBe(false);
  });

  it('a model the sidecar is still loading counts as loaded', async () => {
    const loaded = loadedModels(core.supervisor);
    loaded.update({ models: [], loading: [LLAMA] });
    expect(loaded.has(LLAMA, '/elsewhere')).toBe(true);
    expect(
      loaded.has(
        ids.find((id) => id !== LLAMA)!,
        '/elsewhere',
      ),
    ).toBe(false);
    await loaded.refresh(); // the sidecar's own answer replaces it: LLAMA is loaded by now
    expect(loaded.has(LLAMA, '/elsewhere')).toBe(true);
  });

  it('a lowered memory limit unloads idle unpinned models at once; a pinned one stays, reported over', async () => {
    const [pinned, idle] = ids.filter((id) => id !== LLAMA && onDisk(id));
    await call('models.load', { model: pinned!, pin: true });
    await call('models.load', { model: idle! });
    statuses.length = 0;
    // About 1 KB: nothing fits.
    const status = await call('memory.setLimit', { limit: { gb: 1e-6 } });
    // Least recently used first: LLAMA was loaded before `idle`.
    expect(status.evicted).toEqual([LLAMA, idle]);
    expect(status.models.map((m) => m.id)).toEqual([pinned]);
    expect(status.overLimit).toBe(true);
    // Announced right away (the UI's memory page and library refresh on it), not at the next poll; a poll
    // that lands while the sidecar evicts may announce a state in between, but only the answer names evictions.
    const announced = statuses.filter((s) => s.evicted !== undefined);
    expect(announced).toHaveLength(1);
    expect(announced[0]).toMatchObject({ evicted: [LLAMA, idle], overLimit: true });
    expect(await loadedInLibrary()).toEqual([pinned]);
    const r = await call('library.delete', { repoId: LLAMA });
    expect(r.freedBytes).toBeGreaterThan(0);
  });
});
