// DiscoverState against an in-memory Hub: the search form as sent, loading and errors, a newer search
// winning over a late one, per-result details fetched a few at a time, and opening a model.
import { CURATED_MODELS, CURATED_TIERS, CURATED_USES } from '#shared/curatedModels.ts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appWith, deferred, FakeCore, settle, type MethodResult } from '../../../test/fakeCore.ts';
import { DiscoverState, TYPE_DELAY_MS, type Details, type SearchItem } from './discover.svelte.ts';

type SearchResult = MethodResult<'hub.search'>;

function item(id: string): SearchItem {
  return {
    id,
    downloads: 1,
    likes: 0,
    gated: false,
    private: false,
    task: 'text-generation',
    updatedAt: '2024-01-01T00:00:00Z',
    tags: ['mlx'],
  };
}

function details(id: string): Details {
  return {
    id,
    revision: 'main',
    sha: 'abc',
    gated: false,
    private: false,
    license: 'apache-2.0',
    tags: [],
    pipelineTag: 'text-generation',
    libraryName: 'mlx',
    downloads: 1,
    likes: 0,
    lastModified: '2024-01-01T00:00:00Z',
    files: [],
    totalBytes: 100,
    weightsBytes: 90,
    kind: 'text',
    capabilities: ['completion'],
    modelType: 'llama',
    architectures: [],
    quantization: { bits: 4, groupSize: 64, method: null },
    cardHtml: null,
    fit: null,
  };
}

const page = (ids: string[], hasMore = false, p = 0): SearchResult => ({
  items: ids.map(item),
  page: p,
  pageSize: 20,
  hasMore,
});

describe('DiscoverState', () => {
  let core: FakeCore;
  let state: DiscoverState;

  beforeEach(() => {
    core = new FakeCore()
      .answer('hub.search', ({ page: p = 0 }) => page(['org/a', 'org/b'], true, p))
      .answer('hub.details', ({ repoId }) => details(repoId));
    state = new DiscoverState(appWith(core));
  });

  it('sends the form trimmed, with empty fields left out', async () => {
    state.query = '  qwen ';
    state.author = ' ';
    state.sort = 'likes';
    await state.search(2);
    expect(core.inputs('hub.search')).toEqual([
      {
        query: 'qwen',
        author: undefined,
        task: undefined,
        sort: 'likes',
        page: 2,
        pageSize: 20,
      },
    ]);
    expect(state.page).toBe(2);
    expect(state.hasMore).toBe(true);
    expect(state.searched).toBe(true);
  });

  it('is loading while the Hub answers, and shows the results after', async () => {
    const reply = deferred<SearchResult>();
    core.answer('hub.search', () => reply.promise);
    const done = state.search();
    expect(state.loading).toBe(true);
    expect(state.searched).toBe(false);
    reply.resolve(page(['org/a']));
    await done;
    expect(state.loading).toBe(false);
    expect(state.items.map((i) => i.id)).toEqual(['org/a']);
  });

  it('shows a failed search and stops loading', async () => {
    core.fail('hub.search', 'the Hub is unreachable', 'unavailable');
    await state.search();
    expect(state.error).toBe('the Hub is unreachable');
    expect(state.loading).toBe(false);
    expect(state.searched).toBe(false);
  });

  it('ignores the answer to a search a newer one replaced', async () => {
    const first = deferred<SearchResult>();
    const second = deferred<SearchResult>();
    const replies = [first, second];
    core.answer('hub.search', () => replies.shift()!.promise);
    const a = state.search();
    const b = state.search();
    second.resolve(page(['org/new']));
    await b;
    first.resolve(page(['org/old']));
    await a;
    expect(state.items.map((i) => i.id)).toEqual(['org/new']);
    expect(state.loading).toBe(false);
  });

  it('keeps loading until the newest search has answered', async () => {
    const first = deferred<SearchResult>();
    const second = deferred<SearchResult>();
    const replies = [first, second];
    core.answer('hub.search', () => replies.shift()!.promise);
    void state.search();
    void state.search();
    first.resolve(page(['org/old']));
    await settle();
    expect(state.loading).toBe(true);
    second.resolve(page(['org/new']));
    await settle();
    expect(state.loading).toBe(false);
  });

  it('fetches details for the results, four at a time, and keeps each one’s failure', async () => {
    const ids = ['org/1', 'org/2', 'org/3', 'org/4', 'org/5', 'org/bad'];
    core.answer('hub.search', () => page(ids));
    const pending = new Map<string, ReturnType<typeof deferred<Details>>>();
    core.answer('hub.details', ({ repoId }) => {
      const d = deferred<Details>();
      pending.set(repoId, d);
      return d.promise;
    });
    await state.search();
    await settle();
    expect([...pending.keys()]).toEqual(['org/1', 'org/2', 'org/3', 'org/4']);
    for (const id of ['org/1', 'org/2', 'org/3', 'org/4']) pending.get(id)!.resolve(details(id));
    await settle();
    pending.get('org/5')!.resolve(details('org/5'));
    pending.get('org/bad')!.reject(new Error('repo not found'));
    await settle();
    expect(Object.keys(state.details).sort()).toEqual([...ids].sort());
    expect(state.details['org/bad']).toEqual({ error: 'repo not found' });
    expect(state.details['org/5']).toMatchObject({ kind: 'text' });
  });

  it('does not fetch details it already has', async () => {
    await state.search();
    await settle();
    await state.search(1);
    await settle();
    expect(core.inputs('hub.details').map((i) => i.repoId)).toEqual(['org/a', 'org/b']);
  });

  it('opens a model, fetching its details again only when missing or failed', async () => {
    await state.open('org/x');
    expect(state.opened).toBe('org/x');
    await state.open('org/x');
    expect(core.inputs('hub.details')).toHaveLength(1);

    core.fail('hub.details', 'timed out');
    await state.open('org/y');
    expect(state.details['org/y']).toEqual({ error: 'timed out' });
    core.answer('hub.details', ({ repoId }) => details(repoId));
    await state.open('org/y');
    expect(state.details['org/y']).toMatchObject({ id: 'org/y' });
  });

  describe('landing and search as you type', () => {
    afterEach(() => vi.useRealTimers());

    it('has one real pick per use and machine size', () => {
      for (const { use } of CURATED_USES)
        expect(
          CURATED_MODELS.filter((m) => m.use === use)
            .map((m) => m.tier)
            .sort((a, b) => a - b),
        ).toEqual([...CURATED_TIERS]);
      expect(new Set(CURATED_MODELS.map((m) => m.repoId)).size).toBe(CURATED_MODELS.length);
      for (const m of CURATED_MODELS) expect(m.repoId).toMatch(/^mlx-community\/[\w.-]+$/);
    });

    it('reads the library, then every pick’s details (with its fit), four at a time', async () => {
      core.answer('library.list', () => [
        { repoId: CURATED_MODELS[0]!.repoId } as MethodResult<'library.list'>[number],
      ]);
      await state.landing();
      expect(state.downloaded).toEqual([CURATED_MODELS[0]!.repoId]);
      expect(state.isDownloaded(CURATED_MODELS[0]!.repoId)).toBe(true);
      expect(state.isDownloaded(CURATED_MODELS[1]!.repoId)).toBe(false);
      expect(core.inputs('hub.details').map((i) => i.repoId)).toEqual(
        CURATED_MODELS.map((m) => m.repoId),
      );
      expect(Object.keys(state.details)).toHaveLength(CURATED_MODELS.length);
    });

    it('searches once per pause in typing, and an emptied box goes back to the landing', async () => {
      vi.useFakeTimers();
      state.type('q');
      state.type('qw');
      state.type('qwen');
      expect(core.inputs('hub.search')).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(TYPE_DELAY_MS);
      expect(core.inputs('hub.search').map((i) => i.query)).toEqual(['qwen']);
      expect(state.searched).toBe(true);
      state.type('');
      await vi.advanceTimersByTimeAsync(TYPE_DELAY_MS);
      expect(state.searched).toBe(false);
      expect(state.items).toEqual([]);
      expect(core.inputs('hub.search')).toHaveLength(1);
    });

    it('a search sent by the button cancels the typed one still waiting', async () => {
      vi.useFakeTimers();
      state.type('llama');
      await state.search();
      await vi.advanceTimersByTimeAsync(TYPE_DELAY_MS * 2);
      expect(core.inputs('hub.search')).toHaveLength(1);
    });
  });
});
