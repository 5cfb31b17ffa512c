// Memory limit arithmetic and the mapping of the sidecar's GET /admin/memory into MemoryStatus.
// (The limit and pinned preload against the real sidecar are covered by cli/serve.test.ts.)
import { describe, expect, it } from 'vitest';
import { loadPercent } from '#shared/contract/memory.ts';
import type { MemoryResponse } from '../sidecar/index.ts';
import { limitToBytes, memoryStatus, toMemoryStatus } from './policy.ts';

describe('memory', () => {
  it('turns GB and percent limits into bytes', () => {
    expect(limitToBytes({ gb: 8 }, 64 * 1024 ** 3)).toBe(8 * 1024 ** 3);
    expect(limitToBytes({ percent: 50 }, 16 * 1024 ** 3)).toBe(8 * 1024 ** 3);
    expect(limitToBytes({ percent: 100 }, 1000)).toBe(1000);
    expect(() => limitToBytes({ percent: 0 } as never)).toThrow();
    expect(() => limitToBytes({ gb: -2 })).toThrow();
  });

  it('maps the sidecar memory document and rejects a malformed one', async () => {
    const raw: MemoryResponse = {
      limit_bytes: 1234,
      active_bytes: 999,
      over_limit: false,
      peak_bytes: 1000,
      cache_bytes: 0,
      prefix_cache_bytes: 0,
      disk_prefix_cache: { bytes: 3000, budget_bytes: 10_000, entries: 2 },
      max_models: 4,
      models: [
        { id: 'org/m', footprint_bytes: 500, weights: 'as-stored', pinned: true, draft_of: [] },
        {
          id: 'org/d',
          footprint_bytes: 50,
          weights: 'as-stored',
          pinned: false,
          draft_of: ['org/m'],
        },
      ],
      loading: ['org/big'],
      loads: [{ id: 'org/big', done_bytes: 250, total_bytes: 1000, seconds: 0.5 }],
      active_sequences: 0,
      queued_commands: 0,
    };
    expect(toMemoryStatus(raw, 8000)).toEqual({
      limitBytes: 1234,
      activeBytes: 999,
      systemBytes: 8000,
      models: [
        { id: 'org/m', footprintBytes: 500, pinned: true, weights: 'as-stored' },
        // A draft loaded with its model says whose it is.
        {
          id: 'org/d',
          footprintBytes: 50,
          pinned: false,
          weights: 'as-stored',
          draftOf: ['org/m'],
        },
      ],
      prefixCacheBytes: 0,
      diskPrefixCache: { bytes: 3000, budgetBytes: 10_000, entries: 2 },
      loading: ['org/big'],
      loads: [{ id: 'org/big', doneBytes: 250, totalBytes: 1000, seconds: 0.5 }],
      overLimit: false,
    });
    expect(loadPercent({ doneBytes: 250, totalBytes: 1000 })).toBe(25);
    expect(loadPercent({ doneBytes: 0, totalBytes: null })).toBeNull();
    // PUT /admin/memory also says what a lowered limit unloaded, and whether memory is still over it.
    expect(toMemoryStatus({ ...raw, over_limit: true, evicted: ['org/a'] }, 1)).toMatchObject({
      overLimit: true,
      evicted: ['org/a'],
    });
    // A load under way is named, so that core counts it as loaded before it is.
    expect(toMemoryStatus({ ...raw, loading: ['org/b'] }, 1).loading).toEqual(['org/b']);
    const malformed = { json: () => Promise.resolve({ ...raw, models: 'x' }) as never };
    await expect(memoryStatus(malformed)).rejects.toThrow(
      /GET \/admin\/memory does not match the admin protocol: models: /,
    );
  });
});
