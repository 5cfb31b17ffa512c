// Test support: writes fixture repos for the Hub test server, including big deterministic weight files.
// Every 1 MiB block differs (block counter stamped in), so a byte landing at the wrong offset changes the hash.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RepoMeta } from './server.ts';

const BLOCK = 1 << 20;

function seededBlock(seed: number): Buffer {
  // xorshift32: cheap, deterministic, not compressible by accident.
  const buf = Buffer.alloc(BLOCK);
  let x = seed | 0 || 1;
  for (let i = 0; i < BLOCK; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf.writeInt32LE(x, i);
  }
  return buf;
}

/** Writes `size` bytes from `seed`; returns the sha256. Fast: one PRNG block, then a counter per block. */
export function writeDeterministicFile(file: string, size: number, seed: number): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const base = seededBlock(seed);
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'w');
  try {
    for (let off = 0, i = 0; off < size; off += BLOCK, i++) {
      base.writeUInt32LE(i, 0);
      base.writeUInt32LE(seed, 4);
      const n = Math.min(BLOCK, size - off);
      const part = n === BLOCK ? base : base.subarray(0, n);
      fs.writeSync(fd, part, 0, n, off);
      h.update(part);
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

export interface FixtureRepo {
  /** path in repo → text content, or a deterministic binary of `size` bytes. */
  files: Record<string, string | { size: number; seed: number }>;
  meta?: RepoMeta;
}

export function writeFixtureRepo(root: string, id: string, repo: FixtureRepo): string {
  const dir = path.join(root, ...id.split('/'));
  fs.mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(repo.files)) {
    const abs = path.join(dir, ...rel.split('/'));
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    if (typeof content === 'string') fs.writeFileSync(abs, content);
    else if (!fs.existsSync(abs) || fs.statSync(abs).size !== content.size)
      writeDeterministicFile(abs, content.size, content.seed);
  }
  if (repo.meta) fs.writeFileSync(`${dir}.meta.json`, JSON.stringify(repo.meta));
  return dir;
}

/** A small llama-like config.json as real MLX community repos have (4-bit quantized). */
export function llamaConfig(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: 2048,
    num_hidden_layers: 16,
    num_attention_heads: 32,
    num_key_value_heads: 8,
    max_position_embeddings: 131072,
    torch_dtype: 'bfloat16',
    quantization: { group_size: 64, bits: 4 },
    ...extra,
  });
}
