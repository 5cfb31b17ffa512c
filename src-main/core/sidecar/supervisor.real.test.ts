// Supervisor against the REAL sidecar (python -m orchard_sidecar) on a real fixture model:
// kill -9 mid-request, automatic restart, and no python process left after stop.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SIDECAR_DIR,
  VENV_PYTHON,
  buildFixtures,
  memoryLogger,
  pidsWithEnv,
} from '../../../test-support/sidecar/kit.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { createSupervisor, type Supervisor } from './index.ts';

const MODEL = 'orchard-fixtures/random-llama';

describe('supervisor (real sidecar)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let cache: string;
  let sup: Supervisor;

  beforeAll(() => {
    tmp = makeTempDir('orchard-real-');
    cache = path.join(tmp.dir, 'hub');
    const fixtures = buildFixtures(cache);
    expect(fixtures.map((f) => f.repo_id)).toContain(MODEL);
    sup = createSupervisor({
      python: VENV_PYTHON,
      cwd: SIDECAR_DIR,
      hfHubCache: cache,
      pidFile: path.join(tmp.dir, 'sidecar.pid'),
      log: memoryLogger().log,
      healthIntervalMs: 1000,
    });
  });
  afterAll(async () => {
    await sup?.stop();
    tmp?.cleanup();
  });

  const chat = (maxTokens: number, stream: boolean) =>
    sup.request('/v1/chat/completions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        model: MODEL,
        messages: [{ role: 'user', content: 'count' }],
        max_tokens: maxTokens,
        temperature: 0,
        stream,
      }),
    });

  it('kill -9 mid-request: that request errors before the restart, the next one succeeds', async () => {
    await sup.start();
    await sup.json('/admin/models/load', {
      method: 'POST',
      body: JSON.stringify({ model: MODEL }),
    });
    const res = await chat(100_000, true);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false); // tokens are flowing: the request is really in flight
    expect(sup.status().inFlight).toBe(1);

    const oldPid = sup.status().pid!;
    const killedAt = Date.now();
    process.kill(oldPid, 'SIGKILL');
    let err: unknown;
    try {
      for (;;) if ((await reader.read()).done) break;
    } catch (e) {
      err = e;
    }
    const errorAfterMs = Date.now() - killedAt;
    // The error reached the caller while the replacement was still starting: no hang until restart.
    expect(err).toMatchObject({ code: 'sidecar_exited' });
    expect(['restarting', 'starting']).toContain(sup.status().state);
    console.info(`[figure] in-flight request failed ${errorAfterMs} ms after kill -9`);

    const again = await chat(4, false);
    expect(again.status).toBe(200);
    const body = (await again.json()) as { choices: Array<{ message: { content: string } }> };
    expect(typeof body.choices[0]!.message.content).toBe('string');
    expect(sup.status()).toMatchObject({ state: 'ready', recentCrashes: 1 });
    expect(sup.status().pid).not.toBe(oldPid);
  });

  it('no python process of ours survives stop (process table)', async () => {
    await sup.start();
    const mine = `HF_HUB_CACHE=${cache}`;
    expect(pidsWithEnv(mine)).toEqual([sup.status().pid]);
    await sup.stop();
    expect(sup.status().state).toBe('stopped');
    expect(pidsWithEnv(mine)).toEqual([]);
  });
});
