// Will a model run here? Supported architecture (from the sidecar's list) and an estimate of weights + KV cache
// at a context length against a memory limit: fits, tight or does not fit, with every number shown.
import { modelCapabilities, type KvShape, type ModelKind } from './modelConfig.ts';

export type FitVerdict = 'fits' | 'tight' | 'does_not_fit';

export interface FitInput {
  modelType: string | null;
  /** model_types the sidecar can load (for an embedding model, its embedder's); null when unknown (then support
   * is not judged). */
  supportedModelTypes: readonly string[] | null;
  /** Every weight file: a vision model's tower and projector are in them, so they count here. */
  weightsBytes: number;
  kv: KvShape | null;
  /** An embedding model keeps no KV cache (one forward pass per input); absent: a chat model. */
  kind?: ModelKind;
  contextLength: number;
  memoryLimitBytes: number;
  /** The KV cache held in 4 or 8 bits (a profile's kv_bits); absent: at the model's dtype. */
  kvBits?: 4 | 8;
  /** Runtime overhead beyond weights and KV (activations, buffers); default max(256 MiB, 5% of weights). */
  overheadBytes?: number;
  /** Above this share of the limit the verdict is `tight` (default 0.85). */
  tightShare?: number;
}

export interface FitResult {
  verdict: FitVerdict;
  supported: boolean | null;
  weightsBytes: number;
  kvBytes: number;
  overheadBytes: number;
  totalBytes: number;
  limitBytes: number;
  headroomBytes: number;
  contextLength: number;
  notes: string[];
}

/**
 * KV bytes = 2 (K and V) * layers * kv_heads * head_dim * ctx * bytes per value. Quantized (kv_bits), a value
 * takes bits/8 bytes plus its group's scale and bias at the model's dtype; the sidecar's group size is 64 where
 * the head dimension allows it, else 32 (kv_quant.py).
 */
export function kvCacheBytes(kv: KvShape, contextLength: number, kvBits?: 4 | 8): number {
  const group = kv.headDim % 64 === 0 ? 64 : 32;
  const perValue = kvBits ? kvBits / 8 + (2 * kv.dtypeBytes) / group : kv.dtypeBytes;
  return Math.round(2 * kv.layers * kv.kvHeads * kv.headDim * contextLength * perValue);
}

export function estimateFit(input: FitInput): FitResult {
  const notes: string[] = [];
  const supported =
    input.supportedModelTypes === null || input.modelType === null
      ? null
      : input.supportedModelTypes.includes(input.modelType);
  if (supported === false)
    notes.push(
      input.kind === 'embeddings'
        ? `embedding architecture "${input.modelType}" is not one Orchard's embedder runs`
        : `architecture "${input.modelType}" is not supported by the installed mlx-lm`,
    );
  if (input.modelType === null) notes.push('config.json has no model_type');
  let ctx = input.contextLength;
  if (input.kv?.maxContext && ctx > input.kv.maxContext) {
    notes.push(
      `context ${ctx} exceeds the model's maximum ${input.kv.maxContext}; estimated at the maximum`,
    );
    ctx = input.kv.maxContext;
  }
  const caps: readonly string[] = input.kind ? modelCapabilities(input.kind) : ['completion'];
  const vectorsOnly = caps.includes('embeddings') && !caps.includes('completion');
  const kvBytes = !vectorsOnly && input.kv ? kvCacheBytes(input.kv, ctx, input.kvBits) : 0;
  if (vectorsOnly) notes.push('embedding model: no KV cache (each input is one forward pass)');
  else if (input.kv && input.kvBits) notes.push(`KV cache counted at ${input.kvBits} bits`);
  else if (!input.kv) notes.push('attention shape unknown: KV cache not counted');
  const overheadBytes =
    input.overheadBytes ?? Math.max(256 * 2 ** 20, Math.round(input.weightsBytes * 0.05));
  const totalBytes = input.weightsBytes + kvBytes + overheadBytes;
  const limit = input.memoryLimitBytes;
  const share = input.tightShare ?? 0.85;
  const verdict: FitVerdict =
    supported === false || totalBytes > limit
      ? 'does_not_fit'
      : totalBytes > limit * share
        ? 'tight'
        : 'fits';
  return {
    verdict,
    supported,
    weightsBytes: input.weightsBytes,
    kvBytes,
    overheadBytes,
    totalBytes,
    limitBytes: limit,
    headroomBytes: limit - totalBytes,
    contextLength: ctx,
    notes,
  };
}
