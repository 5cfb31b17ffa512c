// `orchard pull/ls/rm/search` and the download RPC methods against the Hub test server, with a temp
// ORCHARD_HOME and HF cache: Ctrl-C pauses a pull and the same command resumes it.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { openDatabase } from '../db/index.ts';
import { startHubServer, type HubServer } from '../../../test-support/hub/server.ts';
import { llamaConfig, writeFixtureRepo } from '../../../test-support/hub/fixtures.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { downloadHandlers, createDownloadManager } from '../downloads/index.ts';
import { createHttp, createHubClient, hubHandlers, estimateFit } from '../hub/index.ts';
import { createLibrary, libraryHandlers, libraryStore } from '../library/index.ts';
import { contract } from '#shared/contract/index.ts';
import { runModelsCommand } from './commands-models.ts';

const MB = 2 ** 20;
const REPO = 'mlx-community/Cli-4bit';
let fx: ReturnType<typeof makeTempDir>;
let home: ReturnType<typeof makeTempDir>;
let srv: HubServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  fx = makeTempDir('orchard-clifx-');
  home = makeTempDir('orchard-clihome-');
  writeFixtureRepo(fx.dir, REPO, {
    files: { 'config.json': llamaConfig(), 'model.safetensors': { size: 120 * MB, seed: 9 } },
    meta: { tags: ['mlx'], downloads: 3 },
  });
  srv = await startHubServer({ root: fx.dir });
  env = {
    ORCHARD_HOME: home.dir,
    HF_HUB_CACHE: path.join(home.dir, 'cache'),
    HF_ENDPOINT: srv.url,
  };
});
afterAll(async () => {
  await srv.close();
  fx.cleanup();
  home.cleanup();
});

function io() {
  const out: string[] = [];
  const err: string[] = [];
  let interrupt: (() => void) | null = null;
  return {
    out,
    err,
    fire: () => interrupt?.(),
    io: {
      out: (s: string) => out.push(s),
      err: (s: string) => err.push(s),
      progress: () => {},
      onInterrupt: (fn: () => void) => {
        interrupt = fn;
        return () => (interrupt = null);
      },
    },
  };
}

describe('orchard models commands', () => {
  it('search, pull (Ctrl-C pauses, re-run resumes), ls, rm', async () => {
    const config = loadConfig(env);
    const s = io();
    expect(
      await runModelsCommand('search', ['Cli', '--library', 'mlx'], {
        config,
        io: s.io,
        json: false,
        env,
      }),
    ).toBe(0);
    expect(s.out.join('\n')).toContain(REPO);
    expect(
      await runModelsCommand('frobnicate', [], { config, io: s.io, json: false, env }),
    ).toBeNull();
    await expect(
      runModelsCommand('search', ['--sort', 'best'], { config, io: s.io, json: false, env }),
    ).rejects.toThrow(/--sort/);

    srv.inject({ kind: 'slow', bytesPerSec: 40 * MB, path: 'model.safetensors', times: 8 });
    const p = io();
    const first = runModelsCommand('pull', [REPO], { config, io: p.io, json: false, env });
    // Interrupt once a part has arrived (the DB shows progress), as a user pressing Ctrl-C would.
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const db = openDatabase(config.dbPath);
      const row = db.prepare('SELECT done_bytes AS d FROM downloads').get() as
        { d: number } | undefined;
      db.close();
      if (row && row.d > 8 * MB) break;
    }
    p.fire();
    expect(await first).toBe(130);
    expect(p.err.join('\n')).toMatch(/paused at .*run the same command to resume/);

    const p2 = io();
    srv.clearFaults();
    expect(await runModelsCommand('pull', [REPO], { config, io: p2.io, json: false, env })).toBe(0);
    expect(p2.out.join('\n')).toMatch(/downloaded/);
    expect(srv.bytesServed(REPO, 'model.safetensors')).toBeLessThan(160 * MB);

    const l = io();
    expect(await runModelsCommand('ls', [], { config, io: l.io, json: true, env })).toBe(0);
    expect(JSON.parse(l.out[0]!)).toMatchObject([
      { repoId: REPO, kind: 'text', quantization: { bits: 4 } },
    ]);

    const r = io();
    expect(await runModelsCommand('rm', [REPO], { config, io: r.io, json: false, env })).toBe(0);
    expect(fs.existsSync(path.join(env.HF_HUB_CACHE!, 'models--mlx-community--Cli-4bit'))).toBe(
      false,
    );
    await expect(
      runModelsCommand('rm', [REPO], { config, io: r.io, json: false, env }),
    ).rejects.toThrow(/no local model/);
  });
});

describe('download RPC methods', () => {
  it('inputs are validated and every result matches its output schema', async () => {
    const t = makeTempDir();
    const db = openDatabase(path.join(t.dir, 'o.db'));
    const http = createHttp({ hubUrl: srv.url });
    const hub = createHubClient(http);
    const manager = createDownloadManager({
      db,
      cacheDir: path.join(t.dir, 'c'),
      http,
      hub,
      inventory: libraryStore(db),
    });
    const library = createLibrary({ db, cacheDir: path.join(t.dir, 'c') });
    const h = {
      ...hubHandlers({
        hub,
        supportedModelTypes: async () => ['llama'],
        memoryLimitBytes: () => 8 * 2 ** 30,
        estimateFit,
      }),
      ...downloadHandlers(manager),
      ...libraryHandlers(library),
    };
    const call = async <M extends keyof typeof h & keyof typeof contract>(m: M, input: unknown) => {
      const parsed = contract[m].input.parse(input);
      const out = await (h[m] as (p: unknown) => unknown)(parsed);
      return contract[m].output.parse(out);
    };
    expect(() => contract['downloads.pull'].input.parse({ repoId: '../etc' })).toThrow();
    expect(() => contract['hub.search'].input.parse({ pageSize: 1000 })).toThrow();
    const det = (await call('hub.details', { repoId: REPO })) as {
      fit: { verdict: string; supported: boolean };
    };
    expect(det.fit).toMatchObject({ verdict: 'fits', supported: true });
    const d = (await call('downloads.pull', { repoId: REPO })) as { id: string };
    await manager.wait(d.id);
    expect(await call('downloads.get', { id: d.id })).toMatchObject({ status: 'done' });
    expect(await call('library.list', {})).toHaveLength(1);
    expect(await call('downloads.list', {})).toHaveLength(1);
    await manager.close();
    db.close();
    t.cleanup();
  });
});
