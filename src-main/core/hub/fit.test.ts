// Fit estimate and config reading: KV-cache arithmetic, verdict thresholds, unsupported architectures,
// model kinds from config first, and quantization in both MLX and transformers spellings.
import { describe, expect, it } from 'vitest';
import { estimateFit, kvCacheBytes } from './fit.ts';
import { modelCapabilities, modelKind, quantization, summarizeConfig } from './modelConfig.ts';

const GiB = 2 ** 30;
const llama8b = {
  model_type: 'llama',
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  hidden_size: 4096,
  max_position_embeddings: 131072,
};

describe('fit', () => {
  it('KV bytes = 2 * layers * kv_heads * head_dim * ctx * dtype bytes', () => {
    const s = summarizeConfig(llama8b);
    expect(s.kv).toEqual({
      layers: 32,
      kvHeads: 8,
      headDim: 128,
      dtypeBytes: 2,
      maxContext: 131072,
    });
    expect(kvCacheBytes(s.kv!, 8192)).toBe(2 * 32 * 8 * 128 * 8192 * 2); // 1 GiB
  });

  it('kv_bits: a value takes bits/8 bytes plus its group scale and bias (group 64, else 32)', () => {
    const kv = summarizeConfig(llama8b).kv!;
    const plain = kvCacheBytes(kv, 8192);
    expect(kvCacheBytes(kv, 8192, 8)).toBe(Math.round(plain * ((1 + 4 / 64) / 2))); // 0.53 of fp16
    expect(kvCacheBytes(kv, 8192, 4)).toBe(Math.round(plain * ((0.5 + 4 / 64) / 2)));
    expect(kvCacheBytes({ ...kv, headDim: 96 }, 1000, 8)).toBe(
      2 * 32 * 8 * 96 * 1000 * (1 + 4 / 32),
    );
    const base = {
      modelType: 'llama',
      supportedModelTypes: ['llama'],
      weightsBytes: 4 * GiB,
      kv,
      contextLength: 131072,
      memoryLimitBytes: 16 * GiB,
    };
    const full = estimateFit(base);
    const q8 = estimateFit({ ...base, kvBits: 8 });
    expect(full.verdict).toBe('does_not_fit'); // 16 GiB of KV at fp16
    expect(q8.kvBytes).toBe(kvCacheBytes(kv, 131072, 8));
    expect(q8.verdict).toBe('fits');
    expect(q8.notes).toContain('KV cache counted at 8 bits');
  });

  it('fits, tight, does not fit, with the numbers', () => {
    const kv = summarizeConfig(llama8b).kv!;
    const base = {
      modelType: 'llama',
      supportedModelTypes: ['llama', 'qwen3'],
      weightsBytes: 4.5 * GiB,
      kv,
      contextLength: 8192,
      overheadBytes: 0.5 * GiB,
    };
    const fits = estimateFit({ ...base, memoryLimitBytes: 16 * GiB });
    expect(fits).toMatchObject({
      verdict: 'fits',
      supported: true,
      kvBytes: GiB,
      totalBytes: 6 * GiB,
      headroomBytes: 10 * GiB,
    });
    expect(estimateFit({ ...base, memoryLimitBytes: 6.5 * GiB }).verdict).toBe('tight');
    const no = estimateFit({ ...base, memoryLimitBytes: 5 * GiB });
    expect(no).toMatchObject({ verdict: 'does_not_fit', headroomBytes: -1 * GiB });
    expect(
      estimateFit({ ...base, contextLength: 10 ** 6, memoryLimitBytes: 64 * GiB }).contextLength,
    ).toBe(131072);
  });

  it('an architecture the sidecar does not support does not fit whatever the memory', () => {
    const r = estimateFit({
      modelType: 'mamba9',
      supportedModelTypes: ['llama'],
      weightsBytes: 1,
      kv: null,
      contextLength: 1,
      memoryLimitBytes: 64 * GiB,
    });
    expect(r.verdict).toBe('does_not_fit');
    expect(r.notes.join(' ')).toMatch(/mamba9.*not supported/);
    expect(
      estimateFit({
        modelType: 'mamba9',
        supportedModelTypes: null,
        weightsBytes: 1,
        kv: null,
        contextLength: 1,
        memoryLimitBytes: 64 * GiB,
      }).supported,
    ).toBeNull();
  });
  it('by kind: an embedding model has no KV term; vision and audio models keep theirs', () => {
    const kv = summarizeConfig(llama8b).kv!;
    const base = {
      modelType: 'llama',
      supportedModelTypes: null,
      weightsBytes: GiB,
      kv,
      contextLength: 8192,
      memoryLimitBytes: 16 * GiB,
    };
    expect(estimateFit({ ...base, kind: 'embeddings' }).kvBytes).toBe(0);
    for (const kind of ['text', 'vision', 'audio'] as const)
      expect(estimateFit({ ...base, kind }).kvBytes).toBe(kvCacheBytes(kv, 8192));
    expect(estimateFit(base).kvBytes).toBe(kvCacheBytes(kv, 8192));
    const qwenEmbedding = estimateFit({
      ...base,
      modelType: 'qwen3',
      kind: 'embeddings',
      supportedModelTypes: ['bert'],
    });
    expect(qwenEmbedding).toMatchObject({ supported: false, verdict: 'does_not_fit' });
    expect(qwenEmbedding.notes).toContain(
      'embedding architecture "qwen3" is not one Orchard\'s embedder runs',
    );
  });
});

describe('config', () => {
  it('capabilities follow the kind, one rule for the Library and Discover', () => {
    expect(modelCapabilities('text')).toEqual(['completion']);
    expect(modelCapabilities('vision')).toEqual(['completion', 'vision']);
    expect(modelCapabilities('embeddings')).toEqual(['embeddings']);
    expect(modelCapabilities('audio')).toEqual([]);
    expect(
      summarizeConfig({ model_type: 'bert', architectures: ['BertModel'] }).capabilities,
    ).toEqual(['embeddings']);
  });

  it('kind comes from config first, then the pipeline tag', () => {
    expect(
      modelKind({ model_type: 'llava', vision_config: {} }, { pipelineTag: 'text-generation' }),
    ).toBe('vision');
    expect(modelKind({ model_type: 'x', image_token_id: 5 })).toBe('vision');
    expect(modelKind({ model_type: 'whisper' })).toBe('audio');
    expect(modelKind({ model_type: 'xlm-roberta' })).toBe('embeddings');
    expect(modelKind({ model_type: 'qwen3' }, { files: ['modules.json'] })).toBe('embeddings');
    expect(modelKind({ model_type: 'qwen3' }, { pipelineTag: 'image-text-to-text' })).toBe(
      'vision',
    );
    expect(modelKind(null)).toBe('text');
  });

  it('reads MLX and transformers quantization blocks', () => {
    expect(quantization({ quantization: { bits: 4, group_size: 64, mode: 'affine' } })).toEqual({
      bits: 4,
      groupSize: 64,
      method: 'affine',
    });
    expect(quantization({ quantization_config: { quant_method: 'awq', bits: 4 } })).toEqual({
      bits: 4,
      groupSize: null,
      method: 'awq',
    });
    expect(quantization({})).toBeNull();
  });
});
