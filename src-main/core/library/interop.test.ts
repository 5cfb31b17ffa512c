// The HF cache is shared with huggingface_hub (mlx-lm's downloader, the hf CLI): a cache written by the real
// Python client is recognized without a byte fetched, and Orchard's downloads are usable by that client.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHubServer, type HubServer } from '../../../test-support/hub/server.ts';
import { llamaConfig, writeFixtureRepo } from '../../../test-support/hub/fixtures.ts';
import { makeCoreEnv, type CoreEnv } from '../../../test-support/hub/env.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { createLibrary } from './index.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const PY = path.resolve(here, '../../../inference-sidecar/.venv/bin/python');
const MB = 2 ** 20;
const REPO = 'mlx-community/Interop-4bit';
const FILES = ['config.json', 'model.safetensors', 'nested/extra.json', 'tokenizer.json'];

let fx: ReturnType<typeof makeTempDir>;
let srv: HubServer;
const envs: CoreEnv[] = [];

function python(code: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(PY, ['-c', code], {
      env: {
        ...process.env,
        HF_HUB_DISABLE_TELEMETRY: '1',
        HF_HUB_DISABLE_PROGRESS_BARS: '1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('exit', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`python failed (${code}): ${err}`)),
    );
  });
}

function served(): number {
  return FILES.reduce((a, f) => a + srv.bytesServed(REPO, f), 0);
}

beforeAll(async () => {
  fx = makeTempDir('orchard-interop-');
  writeFixtureRepo(fx.dir, REPO, {
    files: {
      'config.json': llamaConfig(),
      'model.safetensors': { size: 40 * MB, seed: 21 },
      'nested/extra.json': '{"a":1}',
      'tokenizer.json': '{"model":{}}',
    },
  });
  srv = await startHubServer({ root: fx.dir });
});
afterEach(async () => {
  srv.resetStats();
  while (envs.length) await envs.pop()!.close();
});
afterAll(async () => {
  await srv.close();
  fx.cleanup();
});

describe('HF cache interop with huggingface_hub', () => {
  it('a cache written by huggingface_hub.snapshot_download is in the library and pulled without a byte fetched', async () => {
    const e = makeCoreEnv(srv.url);
    envs.push(e);
    const snap = await python(
      `from huggingface_hub import snapshot_download; print(snapshot_download(${JSON.stringify(REPO)}, cache_dir=${JSON.stringify(e.cacheDir)}))`,
      { HF_ENDPOINT: srv.url },
    );
    expect(fs.existsSync(path.join(snap, 'model.safetensors'))).toBe(true);
    expect(served()).toBeGreaterThanOrEqual(40 * MB);
    srv.resetStats();

    const lib = createLibrary({ db: e.db, cacheDir: e.cacheDir });
    const models = lib.list();
    expect(models.map((m) => m.repoId)).toEqual([REPO]);
    expect(models[0]).toMatchObject({
      source: 'hf-cache',
      path: snap,
      kind: 'text',
      modelType: 'llama',
      quantization: { bits: 4, groupSize: 64 },
    });
    expect(models[0]!.sizeBytes).toBeGreaterThan(40 * MB);

    const v = await e.manager.wait((await e.manager.pull(REPO)).id);
    expect(v.status).toBe('done');
    expect(served()).toBe(0);
  });

  it("Orchard's download is used by huggingface_hub offline and online without fetching again", async () => {
    const e = makeCoreEnv(srv.url);
    envs.push(e);
    const v = await e.manager.wait((await e.manager.pull(REPO)).id);
    expect(v.status).toBe('done');
    srv.resetStats();
    const offline = await python(
      `from huggingface_hub import snapshot_download; print(snapshot_download(${JSON.stringify(REPO)}, cache_dir=${JSON.stringify(e.cacheDir)}, local_files_only=True))`,
      { HF_ENDPOINT: srv.url },
    );
    expect(offline).toBe(
      path.join(e.cacheDir, `models--${REPO.replace('/', '--')}`, 'snapshots', v.commitSha!),
    );
    const online = await python(
      [
        'from huggingface_hub import snapshot_download, hf_hub_download',
        `p = snapshot_download(${JSON.stringify(REPO)}, cache_dir=${JSON.stringify(e.cacheDir)})`,
        `f = hf_hub_download(${JSON.stringify(REPO)}, "model.safetensors", cache_dir=${JSON.stringify(e.cacheDir)})`,
        'print(p); print(open(f, "rb").read(4).hex())',
      ].join('\n'),
      { HF_ENDPOINT: srv.url },
    );
    expect(online.split('\n')[0]).toBe(offline);
    expect(served()).toBe(0);
  });
});
