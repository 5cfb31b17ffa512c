// keep_alive as seconds (numbers, Go durations, negative = keep loaded), and the load request it makes:
// what the model is loaded with is kept, a profile's options apply to a fresh load, num_ctx only then.
import { describe, expect, it } from 'vitest';
import type { AdminModelRow } from '../../sidecar/index.ts';
import { loadRequest } from './keepAlive.ts';
import { keepAliveSeconds } from './protocol.ts';

const idle: AdminModelRow = {
  id: 'org/m',
  path: '/cache/m',
  revision: 'abc',
  size_bytes: 100,
  loads: 0,
  architecture: 'llama',
  context_window: 4096,
  quantization: null,
  dtype: 'bfloat16',
  capabilities: ['completion'],
  loaded: false,
};
const loaded: AdminModelRow = {
  ...idle,
  loaded: true,
  footprint_bytes: 100,
  weights: 'as-stored',
  pinned: true,
  ttl_seconds: null,
  context_length: 2048,
  stop: ['<end>'],
  tool_format: null,
  draft_model: null,
  idle_seconds: 1,
  active_sequences: 0,
};

describe('keep_alive', () => {
  it('reads seconds and Go durations; negative keeps loaded; nonsense throws', () => {
    expect(keepAliveSeconds(undefined)).toBeUndefined();
    expect(keepAliveSeconds(300)).toBe(300);
    expect(keepAliveSeconds('300')).toBe(300);
    expect(keepAliveSeconds('5m')).toBe(300);
    expect(keepAliveSeconds('1h30m')).toBe(5400);
    expect(keepAliveSeconds('1.5s')).toBe(1.5);
    expect(keepAliveSeconds('500ms')).toBe(0.5);
    expect(keepAliveSeconds(0)).toBe(0);
    expect(keepAliveSeconds('0')).toBe(0);
    expect(keepAliveSeconds(-1)).toBeNull();
    expect(keepAliveSeconds('-1m')).toBeNull();
    expect(() => keepAliveSeconds('soon')).toThrow(/not a duration/);
  });

  it('a loaded model keeps its options; only the TTL changes (and nothing when it would not)', () => {
    const target = { id: 'org/m', profile: null };
    expect(loadRequest(target, loaded, { keepAlive: 60, numCtx: 8192 })).toEqual({
      model: 'org/m',
      pin: true,
      context_length: 2048,
      stop: ['<end>'],
      ttl_seconds: 60,
    });
    expect(loadRequest(target, loaded, { keepAlive: null, numCtx: undefined })).toBeNull();
    expect(loadRequest(target, loaded, { keepAlive: 0, numCtx: undefined })).toBeNull();
  });

  it('a model not loaded: loaded with the profile options, the TTL and num_ctx as its window', () => {
    const profile = { model: 'org/m', params: { idle_ttl_seconds: 30, context_length: 1024 } };
    expect(
      loadRequest({ id: 'org/m', profile }, idle, { keepAlive: undefined, numCtx: 8192 }),
    ).toEqual({ model: 'org/m', pin: false, ttl_seconds: 30, context_length: 8192 });
    expect(
      loadRequest({ id: 'org/m', profile }, idle, { keepAlive: null, numCtx: undefined }),
    ).toEqual({ model: 'org/m', pin: false, context_length: 1024 });
    // keep_alive 0 alone loads nothing: the unload comes after the request.
    expect(
      loadRequest({ id: 'org/m', profile: null }, idle, { keepAlive: 0, numCtx: undefined }),
    ).toBeNull();
  });
});
