// The admin protocol against the REAL sidecar: every /admin route and /health called through the zod
// client, each parsed reply equal to the raw one, so drift on either side (a field added, renamed,
// dropped or retyped in the pydantic models or in adminSchema.ts) fails here.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SIDECAR_DIR,
  VENV_PYTHON,
  buildFixtures,
  memoryLogger,
} from '../../../test-support/sidecar/kit.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { isCoreError } from '../errors/index.ts';
import { sidecarAdmin, type SidecarAdmin } from './adminClient.ts';
import { createSupervisor, type Supervisor } from './index.ts';

const MODEL = 'orchard-fixtures/random-llama';
const IMPORTED = 'contract/tiny';

describe('admin protocol (real sidecar)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let sup: Supervisor;
  let admin: SidecarAdmin;
  let fixtureIds: string[];
  let gguf: string;
  const raw: unknown[] = [];

  beforeAll(async () => {
    tmp = makeTempDir('orchard-admin-contract-');
    const cache = path.join(tmp.dir, 'hub');
    fixtureIds = buildFixtures(cache).map((f) => f.repo_id);
    gguf = path.join(tmp.dir, 'tiny.gguf');
    execFileSync(VENV_PYTHON, ['-m', 'orchard_fixtures', 'gguf', '--out', gguf], {
      cwd: SIDECAR_DIR,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    sup = createSupervisor({
      python: VENV_PYTHON,
      cwd: SIDECAR_DIR,
      hfHubCache: cache,
      pidFile: path.join(tmp.dir, 'sidecar.pid'),
      log: memoryLogger().log,
    });
    await sup.start();
    // The client sees the supervisor through this tap, which keeps every raw reply for comparison.
    admin = sidecarAdmin({
      json: async <T>(p: string, init?: RequestInit & { body?: string }) => {
        const body = await sup.json<T>(p, init);
        raw.push(body);
        return body;
      },
    });
  });
  afterAll(async () => {
    await sup?.stop();
    tmp?.cleanup();
  });

  /** The parsed reply, after checking that parsing dropped nothing the sidecar sent. */
  async function exact<T>(call: Promise<T>): Promise<T> {
    const before = raw.length;
    const parsed = await call;
    expect(raw.length).toBe(before + 1);
    expect(parsed).toStrictEqual(raw.at(-1));
    return parsed;
  }

  it('health and capabilities', async () => {
    const health = await exact(admin.health());
    expect(health).toMatchObject({ status: 'ok', pid: sup.status().pid, loaded_models: 0 });
    const caps = await exact(admin.capabilities());
    expect(caps.model_types).toEqual(expect.arrayContaining(['llama', 'qwen3']));
    expect(caps.embedding_model_types).toEqual(['bert']);
  });

  it('models on disk, a GGUF import, then load, memory, limits and unload', async () => {
    const disk = (await exact(admin.models())).data;
    expect(disk.map((m) => m.id).sort()).toEqual([...fixtureIds].sort());
    expect(disk.every((m) => !m.loaded && m.loads === 0)).toBe(true);

    const imported = await exact(admin.importGguf({ path: gguf, repo_id: IMPORTED }));
    expect(imported).toMatchObject({ id: IMPORTED, repo_id: IMPORTED, architecture: 'llama' });

    // A load under way is a `loads` row (progress) until it is a model.
    expect((await exact(admin.memory())).loads).toEqual([]);
    let settled = false;
    const loading = admin.load({ model: IMPORTED }).finally(() => (settled = true));
    let progressRow: unknown = null;
    while (!settled && progressRow === null)
      progressRow = (await exact(admin.memory())).loads[0] ?? null;
    await loading;
    if (progressRow !== null)
      expect(progressRow).toMatchObject({ id: IMPORTED, done_bytes: expect.any(Number) });
    console.info(`[figure] a loads row seen during the load: ${progressRow !== null}`);
    expect(await exact(admin.unload(IMPORTED))).toEqual({ id: IMPORTED, loaded: false });

    const loaded = await exact(
      admin.load({
        model: MODEL,
        pin: true,
        ttl_seconds: 600,
        context_length: 512,
        stop: ['END'],
        tool_format: 'hermes',
      }),
    );
    expect(loaded).toMatchObject({
      id: MODEL,
      loaded: true,
      pinned: true,
      ttl_seconds: 600,
      context_length: 512,
      stop: ['END'],
      tool_format: 'hermes',
      active_sequences: 0,
    });
    expect(loaded.footprint_bytes).toBeGreaterThan(0);
    const counted = await exact(admin.tokenize(MODEL, ['def f(x):\n    return x', '']));
    expect(counted).toMatchObject({ id: MODEL, loaded: true, context_length: 512 });
    expect(counted.counts?.[0]).toBeGreaterThan(0);
    expect(counted.counts?.[1]).toBe(0);
    const idle = await exact(admin.tokenize(IMPORTED, ['hello']));
    expect(idle).toMatchObject({ loaded: false, counts: null, context_length: null });

    const rows = (await exact(admin.models())).data;
    expect(rows.map((m) => m.id)).toContain(IMPORTED);
    const row = rows.find((m) => m.id === MODEL);
    expect(row).toMatchObject({ loaded: true, loads: 1, pinned: true });

    const memory = await exact(admin.memory());
    expect(memory.models).toEqual([
      {
        id: MODEL,
        footprint_bytes: loaded.footprint_bytes,
        weights: loaded.weights,
        pinned: true,
        draft_of: [],
      },
    ]);
    const update = await exact(admin.setMemory({ max_models: 3 }));
    expect(update).toMatchObject({ max_models: 3, evicted: [] });
    expect(await exact(admin.unload(MODEL))).toEqual({ id: MODEL, loaded: false });
    expect((await exact(admin.health())).loaded_models).toBe(0);
  });

  it("the sidecar's errors reach core as sidecar_error with its message", async () => {
    const idle: unknown = await admin.cancelLoad(MODEL).catch((e: unknown) => e);
    expect(idle).toMatchObject({ code: 'sidecar_error', message: /No load of/ });
    const err: unknown = await admin.unload(MODEL).catch((e: unknown) => e);
    expect(isCoreError(err) && err.code).toBe('sidecar_error');
    expect(String(err)).toMatch(/is not loaded/);
    const bad: unknown = await admin
      .importGguf({ path: path.join(tmp.dir, 'missing.gguf'), repo_id: 'contract/missing' })
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'sidecar_error', message: /GGUF import failed/ });
  });
});
