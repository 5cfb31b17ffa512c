// Reads a model's config.json: architecture, quantization, kind (text, vision, embeddings, audio), capabilities
// and the attention shape the KV-cache estimate needs. Pure functions of the parsed JSON (plus hints from the Hub).

export type ModelKind = 'text' | 'vision' | 'embeddings' | 'audio';
/** What a model can be asked for, in /v1/models' words (the sidecar adds 'tools'/'thinking' from the template). */
export type ModelCapability = 'completion' | 'vision' | 'embeddings';

export interface Quantization {
  bits: number;
  groupSize: number | null;
  method: string | null;
}

export interface KvShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  /** Bytes per element of the KV cache (activations dtype). */
  dtypeBytes: number;
  maxContext: number | null;
}

export interface ConfigSummary {
  modelType: string | null;
  architectures: string[];
  quantization: Quantization | null;
  kind: ModelKind;
  capabilities: ModelCapability[];
  kv: KvShape | null;
}

type Json = Record<string, unknown>;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Json | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null;

const EMBEDDING_TYPES = new Set([
  'bert',
  'xlm-roberta',
  'roberta',
  'nomic_bert',
  'modernbert',
  'distilbert',
  'mpnet',
  'e5',
]);
const AUDIO_TYPES = new Set([
  'whisper',
  'wav2vec2',
  'hubert',
  'encodec',
  'musicgen',
  'kokoro',
  'csm',
  'parakeet',
]);
const TASK_KIND: Record<string, ModelKind> = {
  'image-text-to-text': 'vision',
  'image-to-text': 'vision',
  'visual-question-answering': 'vision',
  'feature-extraction': 'embeddings',
  'sentence-similarity': 'embeddings',
  'automatic-speech-recognition': 'audio',
  'text-to-speech': 'audio',
  'text-to-audio': 'audio',
  'audio-classification': 'audio',
};

/** Kind from config.json first; the Hub's pipeline tag and file names only when the config says nothing. */
export function modelKind(
  config: Json | null,
  hints: { pipelineTag?: string | null; files?: string[] } = {},
): ModelKind {
  if (config) {
    if (obj(config.vision_config) || 'image_token_id' in config || 'image_token_index' in config)
      return 'vision';
    const type = typeof config.model_type === 'string' ? config.model_type : '';
    const archs = Array.isArray(config.architectures) ? config.architectures.map(String) : [];
    if (
      obj(config.audio_config) ||
      AUDIO_TYPES.has(type) ||
      archs.some((a) => /Whisper|Speech|Audio|Wav2Vec/.test(a))
    )
      return 'audio';
    if (
      EMBEDDING_TYPES.has(type) ||
      archs.some((a) =>
        /^(Bert|XLMRoberta|Roberta|NomicBert|ModernBert)Model$|ForMaskedLM$|Embedding/.test(a),
      )
    ) {
      return 'embeddings';
    }
  }
  const files = hints.files ?? [];
  if (files.includes('modules.json') || files.includes('config_sentence_transformers.json'))
    return 'embeddings';
  const fromTask = hints.pipelineTag ? TASK_KIND[hints.pipelineTag] : undefined;
  return fromTask ?? 'text';
}

/**
 * The one rule for the Library and Discover: a vision model generates text from text and images, an embedding
 * model only makes vectors (no chat, so no KV cache in its fit), an audio model neither here.
 */
export function modelCapabilities(kind: ModelKind): ModelCapability[] {
  if (kind === 'embeddings') return ['embeddings'];
  if (kind === 'vision') return ['completion', 'vision'];
  return kind === 'text' ? ['completion'] : [];
}

export function quantization(config: Json): Quantization | null {
  const q = obj(config.quantization) ?? obj(config.quantization_config);
  if (!q) return null;
  const bits = num(q.bits) ?? (q.load_in_4bit === true ? 4 : q.load_in_8bit === true ? 8 : null);
  if (bits === null) return null;
  return {
    bits,
    groupSize: num(q.group_size),
    method:
      typeof q.mode === 'string'
        ? q.mode
        : typeof q.quant_method === 'string'
          ? q.quant_method
          : null,
  };
}

/** Attention shape from the language model's config (nested text_config for multimodal models). */
export function kvShape(config: Json): KvShape | null {
  const c = obj(config.text_config) ? { ...config, ...obj(config.text_config) } : config;
  const layers = num(c.num_hidden_layers) ?? num(c.n_layer) ?? num(c.num_layers);
  const heads = num(c.num_attention_heads) ?? num(c.n_head);
  const hidden = num(c.hidden_size) ?? num(c.n_embd) ?? num(c.d_model);
  if (layers === null || heads === null || heads === 0) return null;
  const kvHeads = num(c.num_key_value_heads) ?? num(c.multi_query_group_num) ?? heads;
  const headDim = num(c.head_dim) ?? (hidden !== null ? hidden / heads : null);
  if (headDim === null) return null;
  const dtype = String(c.torch_dtype ?? c.dtype ?? 'float16');
  return {
    layers,
    kvHeads,
    headDim,
    dtypeBytes: dtype === 'float32' ? 4 : 2,
    maxContext: num(c.max_position_embeddings) ?? num(c.n_positions) ?? num(c.seq_length),
  };
}

export function summarizeConfig(
  config: Json | null,
  hints: { pipelineTag?: string | null; files?: string[] } = {},
): ConfigSummary {
  const kind = modelKind(config, hints);
  return {
    modelType: config && typeof config.model_type === 'string' ? config.model_type : null,
    architectures:
      config && Array.isArray(config.architectures) ? config.architectures.map(String) : [],
    quantization: config ? quantization(config) : null,
    kind,
    capabilities: modelCapabilities(kind),
    kv: config ? kvShape(config) : null,
  };
}

export function parseConfig(text: string): Json | null {
  try {
    return obj(JSON.parse(text));
  } catch {
    return null;
  }
}
