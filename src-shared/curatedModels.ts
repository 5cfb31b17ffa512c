// Discover's landing view: a short curated list of MLX models on the Hugging Face Hub, one per use and machine size.
// Plain data (real Hub repo ids); the fit on this machine is read from the Hub when the landing shows.

export type CuratedUse = 'chat' | 'code' | 'reasoning' | 'vision' | 'embeddings';
/** The machine's memory the pick is sized for: 8, 16, 32 or 64+ GB. */
export type CuratedTier = 8 | 16 | 32 | 64;

export interface CuratedModel {
  repoId: string;
  use: CuratedUse;
  tier: CuratedTier;
  /** One line on why this one. */
  note: string;
}

export const CURATED_USES: ReadonlyArray<{ use: CuratedUse; title: string }> = [
  { use: 'chat', title: 'Chat' },
  { use: 'code', title: 'Code' },
  { use: 'reasoning', title: 'Reasoning' },
  { use: 'vision', title: 'Vision' },
  { use: 'embeddings', title: 'Embeddings' },
];

export const CURATED_TIERS: readonly CuratedTier[] = [8, 16, 32, 64];

export function tierLabel(t: CuratedTier): string {
  return t === 64 ? '64+ GB' : `${t} GB`;
}

export const CURATED_MODELS: readonly CuratedModel[] = [
  {
    repoId: 'mlx-community/Llama-3.2-3B-Instruct-4bit',
    use: 'chat',
    tier: 8,
    note: 'Small and quick',
  },
  {
    repoId: 'mlx-community/Meta-Llama-3.1-8B-Instruct-4bit',
    use: 'chat',
    tier: 16,
    note: 'A solid all-rounder',
  },
  {
    repoId: 'mlx-community/Qwen2.5-32B-Instruct-4bit',
    use: 'chat',
    tier: 32,
    note: 'Strong, multilingual',
  },
  {
    repoId: 'mlx-community/Llama-3.3-70B-Instruct-4bit',
    use: 'chat',
    tier: 64,
    note: 'Large-model quality',
  },
  {
    repoId: 'mlx-community/Qwen2.5-Coder-3B-Instruct-4bit',
    use: 'code',
    tier: 8,
    note: 'Completions and small edits',
  },
  {
    repoId: 'mlx-community/Qwen2.5-Coder-7B-Instruct-4bit',
    use: 'code',
    tier: 16,
    note: 'Everyday coding help',
  },
  {
    repoId: 'mlx-community/Qwen2.5-Coder-32B-Instruct-4bit',
    use: 'code',
    tier: 32,
    note: 'Best open coder of its size',
  },
  {
    repoId: 'mlx-community/Qwen2.5-Coder-32B-Instruct-8bit',
    use: 'code',
    tier: 64,
    note: 'The same at 8-bit precision',
  },
  {
    repoId: 'mlx-community/Qwen3-4B-4bit',
    use: 'reasoning',
    tier: 8,
    note: 'Thinks before it answers',
  },
  { repoId: 'mlx-community/Qwen3-8B-4bit', use: 'reasoning', tier: 16, note: 'Thinking on or off' },
  {
    repoId: 'mlx-community/QwQ-32B-4bit',
    use: 'reasoning',
    tier: 32,
    note: 'Long chains of thought',
  },
  {
    repoId: 'mlx-community/DeepSeek-R1-Distill-Llama-70B-4bit',
    use: 'reasoning',
    tier: 64,
    note: 'R1 distilled into Llama 70B',
  },
  {
    repoId: 'mlx-community/Qwen2.5-VL-3B-Instruct-4bit',
    use: 'vision',
    tier: 8,
    note: 'Reads images and screenshots',
  },
  {
    repoId: 'mlx-community/Qwen2.5-VL-7B-Instruct-4bit',
    use: 'vision',
    tier: 16,
    note: 'Documents, charts, photos',
  },
  { repoId: 'mlx-community/gemma-3-27b-it-4bit', use: 'vision', tier: 32, note: 'Text and images' },
  {
    repoId: 'mlx-community/Qwen2.5-VL-72B-Instruct-4bit',
    use: 'vision',
    tier: 64,
    note: 'The largest open vision model here',
  },
  {
    repoId: 'mlx-community/all-MiniLM-L6-v2-4bit',
    use: 'embeddings',
    tier: 8,
    note: 'Tiny sentence embeddings',
  },
  // Embedding picks are BERT-family sentence-transformers models: the architecture Orchard's embedder runs.
  {
    repoId: 'mlx-community/bge-base-en-v1.5-4bit',
    use: 'embeddings',
    tier: 16,
    note: 'Balanced English retrieval',
  },
  {
    repoId: 'mlx-community/bge-large-en-v1.5-4bit',
    use: 'embeddings',
    tier: 32,
    note: 'Stronger English retrieval',
  },
  {
    repoId: 'mlx-community/mxbai-embed-large-v1',
    use: 'embeddings',
    tier: 64,
    note: 'Full precision, 1024 dimensions',
  },
];
