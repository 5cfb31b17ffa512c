// Test support: the Hub's metadata for Discover's curated picks, for the Hub test server — each repo's config.json
// (shape of the real model), its weights as an LFS pointer of the real size (listed, never served) and its card.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CURATED_MODELS } from '#shared/curatedModels.ts';
import { writeLfsPointer, type RepoMeta } from './server.ts';

interface Shape {
  type: string;
  arch: string;
  /** Weights on disk, GB (10^9), as the Hub lists them. */
  gb: number;
  bits: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vision?: boolean;
  task?: string;
}

const llama = (gb: number, layers: number, bits = 4): Shape => ({
  type: 'llama',
  arch: 'LlamaForCausalLM',
  gb,
  bits,
  layers,
  heads: 32,
  kvHeads: 8,
  headDim: 128,
});
const qwen = (type: string, gb: number, layers: number, kvHeads: number, bits = 4): Shape => ({
  type,
  arch: type === 'qwen3' ? 'Qwen3ForCausalLM' : 'Qwen2ForCausalLM',
  gb,
  bits,
  layers,
  heads: 40,
  kvHeads,
  headDim: 128,
});
const vl = (gb: number, layers: number, kvHeads: number): Shape => ({
  type: 'qwen2_5_vl',
  arch: 'Qwen2_5_VLForConditionalGeneration',
  gb,
  bits: 4,
  layers,
  heads: 28,
  kvHeads,
  headDim: 128,
  vision: true,
  task: 'image-text-to-text',
});
const bert = (gb: number, layers: number, heads: number, headDim: number, bits = 4): Shape => ({
  type: 'bert',
  arch: 'BertModel',
  gb,
  bits,
  layers,
  heads,
  kvHeads: heads,
  headDim,
  task: 'feature-extraction',
});

/** What the Hub says about each pick (sizes and shapes of the published MLX conversions, rounded). */
export const CURATED_SHAPES: Record<string, Shape> = {
  'mlx-community/Llama-3.2-3B-Instruct-4bit': llama(1.8, 28),
  'mlx-community/Meta-Llama-3.1-8B-Instruct-4bit': llama(4.5, 32),
  'mlx-community/Qwen2.5-32B-Instruct-4bit': qwen('qwen2', 18.4, 64, 8),
  'mlx-community/Llama-3.3-70B-Instruct-4bit': llama(39.7, 80),
  'mlx-community/Qwen2.5-Coder-3B-Instruct-4bit': qwen('qwen2', 1.7, 36, 2),
  'mlx-community/Qwen2.5-Coder-7B-Instruct-4bit': qwen('qwen2', 4.3, 28, 4),
  'mlx-community/Qwen2.5-Coder-32B-Instruct-4bit': qwen('qwen2', 18.4, 64, 8),
  'mlx-community/Qwen2.5-Coder-32B-Instruct-8bit': qwen('qwen2', 34.8, 64, 8, 8),
  'mlx-community/Qwen3-4B-4bit': qwen('qwen3', 2.3, 36, 8),
  'mlx-community/Qwen3-8B-4bit': qwen('qwen3', 4.6, 36, 8),
  'mlx-community/QwQ-32B-4bit': qwen('qwen2', 18.4, 64, 8),
  'mlx-community/DeepSeek-R1-Distill-Llama-70B-4bit': llama(39.7, 80),
  'mlx-community/Qwen2.5-VL-3B-Instruct-4bit': vl(2.4, 36, 2),
  'mlx-community/Qwen2.5-VL-7B-Instruct-4bit': vl(5.6, 28, 4),
  'mlx-community/gemma-3-27b-it-4bit': {
    type: 'gemma3',
    arch: 'Gemma3ForConditionalGeneration',
    gb: 16.9,
    bits: 4,
    layers: 62,
    heads: 32,
    kvHeads: 16,
    headDim: 128,
    vision: true,
    task: 'image-text-to-text',
  },
  'mlx-community/Qwen2.5-VL-72B-Instruct-4bit': vl(41.0, 80, 8),
  'mlx-community/all-MiniLM-L6-v2-4bit': bert(0.02, 6, 12, 32),
  'mlx-community/bge-base-en-v1.5-4bit': bert(0.07, 12, 12, 64),
  'mlx-community/bge-large-en-v1.5-4bit': bert(0.2, 24, 16, 64),
  'mlx-community/mxbai-embed-large-v1': bert(0.67, 24, 16, 64, 16),
};

function config(s: Shape): Record<string, unknown> {
  const text = {
    model_type: s.type,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads,
    head_dim: s.headDim,
    hidden_size: s.heads * s.headDim,
    max_position_embeddings: 32_768,
    torch_dtype: 'bfloat16',
  };
  return {
    ...text,
    architectures: [s.arch],
    ...(s.bits < 16 ? { quantization: { group_size: 64, bits: s.bits } } : {}),
    ...(s.vision ? { vision_config: { model_type: `${s.type}_vision` } } : {}),
  };
}

/** Writes every curated pick into the Hub server's folder `root` (config, card, pointer-only weights). */
export function publishCurated(root: string): void {
  for (const m of CURATED_MODELS) {
    const s = CURATED_SHAPES[m.repoId];
    if (!s) throw new Error(`no Hub shape for curated model ${m.repoId}`);
    const dir = path.join(root, ...m.repoId.split('/'));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config(s), null, 2));
    fs.writeFileSync(path.join(dir, 'README.md'), `# ${m.repoId.split('/')[1]}\n\n${m.note}.\n`);
    const sha = crypto.createHash('sha256').update(m.repoId).digest('hex');
    writeLfsPointer(path.join(dir, 'model.safetensors'), Math.round(s.gb * 1e9), sha);
    const meta: RepoMeta = {
      pipeline_tag: s.task ?? 'text-generation',
      library_name: 'mlx',
      tags: ['mlx', s.task ?? 'text-generation'],
      downloads: 1000,
      likes: 10,
    };
    fs.writeFileSync(`${dir}.meta.json`, JSON.stringify(meta));
  }
}
