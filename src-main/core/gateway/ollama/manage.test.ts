// Names as Ollama clients spell them, pulls as NDJSON status lines over a download manager's events,
// delete (model, alias, loaded model unloaded first) and copy (aliases, profiles, names never overwritten).
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CoreError } from '../../errors/index.ts';
import type { AdminModelRow } from '../../sidecar/index.ts';
import {
  copyModel,
  deleteModel,
  pullLines,
  pullToEnd,
  type AliasStore,
  type PullService,
  type PullView,
} from './manage.ts';
import { pullTarget, resolveName } from './names.ts';

function aliases(init: Record<string, string> = {}): AliasStore & { map: Record<string, string> } {
  const map = { ...init };
  return {
    map,
    all: () => map,
    set: (a, t) => {
      map[a] = t;
    },
    remove: (a) => delete map[a],
  };
}

describe('names', () => {
  const known = new Set(['org/m', 'small', 'qwen:0.6b']);
  it('resolves :latest and hf.co/ to known names, else leaves the name alone', () => {
    expect(resolveName('org/m', known)).toBe('org/m');
    expect(resolveName('org/m:latest', known)).toBe('org/m');
    expect(resolveName('hf.co/org/m:latest', known)).toBe('org/m');
    expect(resolveName('small:latest', known)).toBe('small');
    expect(resolveName('qwen:0.6b', known)).toBe('qwen:0.6b');
    expect(resolveName('llama3.2', known)).toBe('llama3.2');
  });
  it('pull targets: repo ids with the tag as the revision; library names refused', () => {
    expect(pullTarget('org/m')).toEqual({ repoId: 'org/m', revision: 'main' });
    expect(pullTarget('org/m:latest')).toEqual({ repoId: 'org/m', revision: 'main' });
    expect(pullTarget('hf.co/org/m:v2')).toEqual({ repoId: 'org/m', revision: 'v2' });
    expect(() => pullTarget('llama3.2:1b')).toThrow(/Hugging Face Hub/);
  });
});

describe('pull', () => {
  function fakeDownloads(final: Partial<PullView>) {
    const ev = new EventEmitter();
    let finish: (v: PullView) => void = () => {};
    const svc: PullService = {
      pull: async () => view,
      on: (_e, fn) => {
        ev.on('progress', fn);
        return () => ev.off('progress', fn);
      },
      wait: () => new Promise((r) => (finish = r)),
    };
    const view: PullView = {
      id: 'd1',
      repoId: 'org/m',
      status: 'running',
      totalBytes: 100,
      doneBytes: 0,
      error: null,
      commitSha: 'c0ffee',
    };
    return {
      svc,
      view,
      progress: (done: number) =>
        ev.emit('progress', { id: 'd1', doneBytes: done, totalBytes: 100 }),
      finish: () => finish({ ...view, doneBytes: 100, ...final }),
      listeners: () => ev.listenerCount('progress'),
    };
  }

  async function collect(gen: AsyncGenerator<string>, during: () => Promise<void>) {
    const out: Array<Record<string, unknown>> = [];
    const reading = (async () => {
      for await (const l of gen) out.push(JSON.parse(l));
    })();
    await during();
    await reading;
    return out;
  }

  it('status lines with digest, total and completed, ending in success', async () => {
    const d = fakeDownloads({ status: 'done' });
    const tick = () => new Promise((r) => setTimeout(r, 5));
    const out = await collect(pullLines({ downloads: d.svc }, d.view), async () => {
      await tick();
      d.progress(40);
      await tick();
      d.finish();
    });
    expect(out[0]).toEqual({ status: 'pulling manifest' });
    expect(out[1]).toMatchObject({ status: 'pulling org/m', total: 100, completed: 0 });
    expect(out[1]!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(out.map((o) => o.completed).filter((x) => x !== undefined)).toEqual([0, 40, 100]);
    expect(out.slice(-3).map((o) => o.status)).toEqual([
      'verifying sha256 digest',
      'writing manifest',
      'success',
    ]);
    expect(d.listeners()).toBe(0);
  });

  it('a failed download ends with an error line; not streamed, it is a 502', async () => {
    const d = fakeDownloads({ status: 'failed', error: 'hash mismatch' });
    const out = await collect(pullLines({ downloads: d.svc }, d.view), async () => {
      await new Promise((r) => setTimeout(r, 5));
      d.finish();
    });
    expect(out.at(-1)).toEqual({ error: 'pull of org/m failed: hash mismatch' });
    const d2 = fakeDownloads({ status: 'failed', error: 'gone' });
    const p = pullToEnd({ downloads: d2.svc }, d2.view);
    d2.finish();
    await expect(p).rejects.toMatchObject({ status: 502 });
  });
});

describe('delete and copy', () => {
  const row = (over: Partial<AdminModelRow>) =>
    ({ id: 'org/m', loaded: true, active_sequences: 0, ...over }) as AdminModelRow;

  it('an alias is removed; a loaded idle model is unloaded then deleted, with its aliases', async () => {
    const a = aliases({ small: 'org/m', other: 'org/x' });
    await deleteModel({ aliases: a }, 'other', 'alias');
    expect(a.map).toEqual({ small: 'org/m' });
    const calls: string[] = [];
    let loadedNow = true;
    await deleteModel(
      {
        aliases: a,
        removeModel: async (id) => {
          calls.push(`remove ${id}`);
          if (loadedNow) throw new CoreError('model_loaded', 'loaded');
          return { freedBytes: 1 };
        },
        admin: {
          models: async () => ({ object: 'list', data: [row({ loaded: loadedNow } as never)] }),
          unload: async (id) => {
            calls.push(`unload ${id}`);
            loadedNow = false;
            return { id, loaded: false };
          },
          load: async () => {
            throw new Error('no');
          },
        },
      },
      'org/m',
      'local',
    );
    expect(calls).toEqual(['remove org/m', 'unload org/m', 'remove org/m']);
    expect(a.map).toEqual({});
  });

  it('a model being decoded on is not deleted; unknown names are 404, profiles 400', async () => {
    const busy = {
      removeModel: async () => {
        throw new CoreError('model_loaded', 'org/m is loaded');
      },
      admin: {
        models: async () => ({
          object: 'list' as const,
          data: [row({ active_sequences: 1 } as never)],
        }),
        unload: async () => {
          throw new Error('must not unload');
        },
        load: async () => {
          throw new Error('no');
        },
      },
    };
    await expect(deleteModel(busy, 'org/m', 'local')).rejects.toMatchObject({ status: 409 });
    await expect(deleteModel({}, 'nope', null)).rejects.toMatchObject({ status: 404 });
    await expect(deleteModel({}, 'P', 'profile')).rejects.toMatchObject({ status: 400 });
  });

  it('copy: an alias of the model (through an alias too), a profile duplicated, no overwrite', () => {
    const a = aliases({ small: 'org/m' });
    const copied: string[] = [];
    const s = {
      aliases: a,
      copyProfile: (src: string, dst: string) => copied.push(`${src}->${dst}`),
    };
    copyModel(s, { name: 'org/m', kind: 'local' }, 'mine:latest', null);
    copyModel(s, { name: 'small', kind: 'alias' }, 'tiny', null);
    expect(a.map).toEqual({ small: 'org/m', 'mine:latest': 'org/m', tiny: 'org/m' });
    copyModel(s, { name: 'Fast', kind: 'profile' }, 'Fast2', null);
    expect(copied).toEqual(['Fast->Fast2']);
    expect(() => copyModel(s, { name: 'small', kind: 'alias' }, 'org/x', 'local')).toThrow(
      /already a local model/,
    );
    expect(() => copyModel(s, { name: 'gpt', kind: 'route' }, 'x', null)).toThrow(/not found/);
    expect(() => copyModel(s, { name: 'org/m', kind: 'local' }, ' bad', null)).toThrow(
      /not a valid name/,
    );
  });
});
