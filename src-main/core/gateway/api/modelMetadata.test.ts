// Model metadata from the sidecar's /admin/models rows: the fields listings show, cached, and never a
// failed or slow sidecar holding a listing up.
import { describe, expect, it } from 'vitest';
import type { AdminModelRow } from '../../sidecar/index.ts';
import { modelMetadata, toMetadata } from './modelMetadata.ts';

const idle: AdminModelRow = {
  id: 'mlx-community/Qwen3-4B-4bit',
  path: '/hub/models--mlx-community--Qwen3-4B-4bit/snapshots/abc',
  revision: 'abc',
  size_bytes: 2_000_000_000,
  loads: 0,
  architecture: 'qwen3',
  context_window: 40960,
  quantization: { bits: 4, group_size: 64, mode: 'affine' },
  dtype: 'bfloat16',
  capabilities: ['completion', 'tools', 'thinking'],
  loaded: false,
};

const loaded: AdminModelRow = {
  ...idle,
  id: '/models/plain',
  quantization: null,
  loaded: true,
  footprint_bytes: 1,
  weights: 'as-stored',
  pinned: false,
  ttl_seconds: null,
  context_length: 8192,
  stop: null,
  tool_format: null,
  draft_model: null,
  idle_seconds: 0,
  active_sequences: 0,
};

describe('model metadata', () => {
  it('maps an idle and a loaded row', () => {
    expect(toMetadata(idle)).toMatchObject({
      contextLength: 40960,
      maxContextLength: 40960,
      loaded: false,
      loadedContextLength: null,
      quantizationLabel: '4bit',
      publisher: 'mlx-community',
      capabilities: ['completion', 'tools', 'thinking'],
    });
    // Loaded with a profile's context_length: that is the window requests get.
    expect(toMetadata(loaded)).toMatchObject({
      contextLength: 8192,
      maxContextLength: 40960,
      loadedContextLength: 8192,
      quantizationLabel: 'bf16',
      publisher: null,
    });
  });

  it('asks once per interval, and keeps the last list when the sidecar fails or is slow', async () => {
    let t = 0;
    let calls = 0;
    let mode: 'ok' | 'fail' | 'hang' = 'ok';
    const source = modelMetadata(
      () => {
        calls++;
        if (mode === 'fail') return Promise.reject(new Error('down'));
        if (mode === 'hang') return new Promise<AdminModelRow[]>(() => {});
        return Promise.resolve([idle]);
      },
      { maxAgeMs: 1000, timeoutMs: 20, now: () => t },
    );
    expect((await source.all()).map((m) => m.id)).toEqual([idle.id]);
    await source.get(idle.id);
    expect(calls).toBe(1);
    t = 2000;
    mode = 'fail';
    expect((await source.get(idle.id))?.id).toBe(idle.id);
    mode = 'hang';
    expect((await source.all()).length).toBe(1);
    expect(calls).toBe(3);
  });
});
