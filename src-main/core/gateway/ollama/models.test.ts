// /api/tags, /api/show and /api/ps bodies: details with a parameter estimate, the window under
// `<arch>.context_length`, a profile's parameters as Modelfile lines, the chat template from the files.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test-support/tmp.ts';
import type { ModelMetadata } from '../api/modelMetadata.ts';
import type { AdminModelRow } from '../../sidecar/index.ts';
import {
  parameterLines,
  parameterSize,
  psBody,
  showBody,
  tagsBody,
  type LocalName,
} from './models.ts';

const tmp = makeTempDir('orchard-ollama-models-');
afterAll(() => tmp.cleanup());

const meta = (over: Partial<ModelMetadata> = {}): ModelMetadata => ({
  id: 'org/m',
  contextLength: 2048,
  maxContextLength: 4096,
  loaded: false,
  loadedContextLength: null,
  capabilities: ['completion', 'tools'],
  architecture: 'qwen3',
  quantization: { bits: 4, groupSize: 64, mode: 'affine' },
  quantizationLabel: '4bit',
  dtype: 'bfloat16',
  sizeBytes: 450_000_000,
  publisher: 'org',
  path: tmp.dir,
  revision: 'abc',
  ...over,
});

describe('ollama model bodies', () => {
  it('tags: name, size, digest and details; an alias names its parent', async () => {
    const body = await tagsBody([
      { id: 'org/m', kind: 'local', meta: meta() },
      { id: 'small', kind: 'alias', meta: meta() },
    ]);
    const [m, alias] = body.models as Array<{
      digest: string;
      modified_at: string;
      details: Record<string, unknown>;
    }>;
    expect(m).toMatchObject({
      name: 'org/m',
      model: 'org/m',
      size: 450_000_000,
      details: {
        parent_model: '',
        format: 'mlx',
        family: 'qwen3',
        families: ['qwen3'],
        quantization_level: '4bit',
      },
    });
    expect(m!.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(m!.modified_at)).not.toBeNaN();
    expect(alias!.details.parent_model).toBe('org/m');
    // 450 MB at 4.5 bits a weight.
    expect(m!.details.parameter_size).toBe('800M');
    expect(parameterSize(1.54e9)).toBe('1.5B');
  });

  it('show: window under <arch>.context_length, capabilities, parameters and the template', async () => {
    fs.writeFileSync(
      path.join(tmp.dir, 'tokenizer_config.json'),
      JSON.stringify({ chat_template: '{% for m in messages %}{{ m.content }}{% endfor %}' }),
    );
    const name: LocalName = { id: 'Fast', kind: 'profile', meta: meta() };
    const body = await showBody(name, { temperature: 0.2, stop: ['</s>'], context_length: 2048 });
    expect(body).toMatchObject({
      capabilities: ['completion', 'tools'],
      model_info: { 'general.architecture': 'qwen3', 'qwen3.context_length': 2048 },
      parameters: 'temperature 0.2\nnum_ctx 2048\nstop "</s>"',
      template: '{% for m in messages %}{{ m.content }}{% endfor %}',
    });
    expect(body.modelfile).toContain('FROM org/m\nPARAMETER temperature 0.2');
    expect(parameterLines({})).toEqual([]);
  });

  it('show: an embedding model is "embedding" in Ollama\'s words, with its vector length', async () => {
    const dir = path.join(tmp.dir, 'minilm');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ model_type: 'bert', hidden_size: 384 }),
    );
    const m = meta({ id: 'org/e', capabilities: ['embeddings'], architecture: 'bert', path: dir });
    const body = await showBody({ id: 'org/e', kind: 'local', meta: m }, {});
    expect(body.capabilities).toEqual(['embedding']);
    expect(body.model_info).toMatchObject({ 'bert.embedding_length': 384 });
    const vision = meta({ capabilities: ['completion', 'vision'] });
    expect((await showBody({ id: 'org/m', kind: 'local', meta: vision }, {})).capabilities).toEqual(
      ['completion', 'vision'],
    );
  });

  it('ps: loaded rows only, with size, expiry from the TTL (far future without one) and window', () => {
    const base = { id: 'org/m', revision: 'abc', context_window: 4096 } as AdminModelRow;
    const rows = [
      { ...base, loaded: false },
      {
        ...base,
        id: 'org/a',
        loaded: true,
        footprint_bytes: 10,
        ttl_seconds: 60,
        idle_seconds: 20,
        context_length: null,
      },
      {
        ...base,
        id: 'org/b',
        loaded: true,
        footprint_bytes: 20,
        ttl_seconds: null,
        idle_seconds: 0,
        context_length: 1024,
      },
    ] as AdminModelRow[];
    const now = Date.parse('2026-01-01T00:00:00Z');
    const body = psBody(rows, [], now) as { models: Array<Record<string, unknown>> };
    expect(body.models).toEqual([
      expect.objectContaining({
        name: 'org/a',
        size: 10,
        size_vram: 10,
        expires_at: '2026-01-01T00:00:40.000Z',
        context_length: 4096,
      }),
      expect.objectContaining({
        name: 'org/b',
        expires_at: '2318-01-01T00:00:00.000Z',
        context_length: 1024,
      }),
    ]);
  });
});
