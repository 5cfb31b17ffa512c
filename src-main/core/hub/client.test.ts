// Hub client (@huggingface/hub underneath) against the Hub test server: search filters, sort and pagination
// over Link headers, model details with files, config summary, gated state and a sanitized card.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubServer, type HubServer } from '../../../test-support/hub/server.ts';
import { llamaConfig, writeFixtureRepo } from '../../../test-support/hub/fixtures.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { createHttp, createHubClient } from './index.ts';

let fx: ReturnType<typeof makeTempDir>;
let srv: HubServer;

beforeAll(async () => {
  fx = makeTempDir('orchard-hub-');
  for (let i = 0; i < 12; i++) {
    writeFixtureRepo(fx.dir, `mlx-community/model-${String(i).padStart(2, '0')}`, {
      files: { 'config.json': llamaConfig() },
      meta: {
        tags: ['mlx'],
        pipeline_tag: 'text-generation',
        downloads: i * 10,
        likes: 100 - i,
        lastModified: `2025-01-${String(i + 1).padStart(2, '0')}T00:00:00.000Z`,
      },
    });
  }
  writeFixtureRepo(fx.dir, 'other/bert-embed', {
    files: {
      'config.json': JSON.stringify({
        model_type: 'bert',
        architectures: ['BertModel'],
        num_hidden_layers: 2,
        num_attention_heads: 2,
        hidden_size: 8,
      }),
    },
    meta: { pipeline_tag: 'feature-extraction', tags: ['transformers'] },
  });
  writeFixtureRepo(fx.dir, 'mlx-community/Vision-4bit', {
    files: {
      'config.json': JSON.stringify({
        model_type: 'gemma3',
        architectures: ['Gemma3ForConditionalGeneration'],
        image_token_index: 262144,
        text_config: {
          num_hidden_layers: 4,
          num_attention_heads: 8,
          num_key_value_heads: 4,
          head_dim: 256,
          hidden_size: 1024,
        },
        quantization: { bits: 4, group_size: 64 },
      }),
      'README.md':
        '---\nlicense: gemma\n---\n# Vision\n<script>alert(1)</script><img src="http://x/t.png" onerror="x()"><a href="javascript:evil()">bad</a><iframe src="https://x"></iframe>\n\n[ok](https://example.com)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n',
      'model.safetensors': { size: 2 ** 20, seed: 3 },
      'model-00002.safetensors': { size: 2 ** 19, seed: 4 },
    },
    meta: {
      gated: 'auto',
      cardData: { license: 'gemma' },
      pipeline_tag: 'image-text-to-text',
      tags: ['mlx'],
    },
  });
  srv = await startHubServer({ root: fx.dir, pageCap: 4 });
});
afterAll(async () => {
  await srv.close();
  fx.cleanup();
});

describe('hub client', () => {
  const client = () => createHubClient(createHttp({ hubUrl: srv.url }));

  it('searches by author, library and task, sorted, page by page over Link pagination', async () => {
    const c = client();
    const p0 = await c.search({
      author: 'mlx-community',
      library: 'mlx',
      task: 'text-generation',
      sort: 'downloads',
      pageSize: 5,
    });
    expect(p0.items.map((i) => i.id)).toEqual(
      [11, 10, 9, 8, 7].map((i) => `mlx-community/model-${String(i).padStart(2, '0')}`),
    );
    expect(p0.hasMore).toBe(true);
    const p2 = await c.search({
      author: 'mlx-community',
      library: 'mlx',
      task: 'text-generation',
      sort: 'downloads',
      pageSize: 5,
      page: 2,
    });
    expect(p2.items.map((i) => i.id)).toEqual(['mlx-community/model-01', 'mlx-community/model-00']);
    expect(p2.hasMore).toBe(false);
    expect(
      (await c.search({ sort: 'likes', pageSize: 1, library: 'mlx', task: 'text-generation' }))
        .items[0]!.id,
    ).toBe('mlx-community/model-00');
    expect(
      (await c.search({ sort: 'recent', pageSize: 1, task: 'text-generation' })).items[0]!.id,
    ).toBe('mlx-community/model-11');
    expect((await c.search({ query: 'BERT' })).items.map((i) => i.id)).toEqual([
      'other/bert-embed',
    ]);
  });

  it('follows the Link header of the server across pages (limit beyond one server page)', async () => {
    // The server sends at most 4 items a page; 13 results take 4 pages, chained by Link: rel="next".
    const c = client();
    const all = await c.search({ author: 'mlx-community', pageSize: 100 });
    expect(all.items).toHaveLength(13);
    expect(new Set(all.items.map((i) => i.id)).size).toBe(13);
  });

  it('model details: files with sizes and LFS hashes, config summary, gated, license and a sanitized card', async () => {
    const c = createHubClient(createHttp({ hubUrl: srv.url, token: srv.token }));
    const d = await c.details('mlx-community/Vision-4bit');
    expect(d.gated).toBe('auto');
    expect(d.license).toBe('gemma');
    expect(d.kind).toBe('vision');
    expect(d.config).toMatchObject({
      modelType: 'gemma3',
      quantization: { bits: 4, groupSize: 64 },
      kv: { layers: 4, kvHeads: 4, headDim: 256 },
    });
    const w = d.files.find((f) => f.path === 'model.safetensors')!;
    expect(w.size).toBe(2 ** 20);
    expect(w.lfsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(d.files.find((f) => f.path === 'config.json')!.lfsSha256).toBeNull();
    expect(d.weightsBytes).toBe(2 ** 20 + 2 ** 19);
    expect(d.cardHtml).toContain('<h1>Vision</h1>');
    expect(d.cardHtml).toContain('<table>');
    expect(d.cardHtml).toContain('href="https://example.com"');
    for (const bad of [
      '<script',
      'onerror',
      'javascript:',
      '<iframe',
      'http://x/t.png',
      'license: gemma',
    ])
      expect(d.cardHtml).not.toContain(bad);
  });

  it('embeddings kind and clear errors for missing repos and a gated model without a token', async () => {
    const c = client();
    expect((await c.details('other/bert-embed')).kind).toBe('embeddings');
    await expect(c.details('nobody/none')).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      c.readText('mlx-community/Vision-4bit', 'main', 'config.json'),
    ).rejects.toMatchObject({
      code: 'unauthorized',
      message: expect.stringMatching(/gated or private.*set a Hugging Face token/),
    });
    await expect(
      c
        .search({ query: 'x' })
        .then(() => createHubClient(createHttp({ hubUrl: 'http://127.0.0.1:9' })).search({})),
    ).rejects.toThrow(/cannot reach the Hub/);
  });

  it('a 5xx from the Hub is reported with its status', async () => {
    srv.inject({ kind: 'status', status: 500, on: 'api', path: '*' });
    await expect(client().info('mlx-community/model-00')).rejects.toThrow(/HTTP 500/);
  });
});
