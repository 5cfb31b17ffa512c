// `orchard serve` as a child process with the real sidecar and a Hub test server: a pull started through the
// CLI goes to serve; SIGKILL of serve mid-download, and the next serve resumes it by itself (no command needed),
// fetching only what was missing; hub.details judges support with the sidecar's own model_type list.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../config/index.ts';
import { connectRpc, type RpcClient } from '../rpc/index.ts';
import { llamaConfig, writeFixtureRepo } from '../../../test-support/hub/fixtures.ts';
import { startHubServer, type HubServer } from '../../../test-support/hub/server.ts';
import { pidsWithEnv, waitUntil } from '../../../test-support/sidecar/kit.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { tsxArgv } from '../../../test-support/tsx.ts';
import { readServeFile } from './serveFile.ts';
import { run } from './index.ts';

const MB = 2 ** 20;
const REPO = 'mlx-community/Resume-4bit';
const SIZE = 16 * MB;

describe('downloads through serve (integration)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let srv: HubServer;
  let env: NodeJS.ProcessEnv;
  let serveFile: string;
  let sha = '';
  const children: ChildProcess[] = [];

  async function startServe(): Promise<{ child: ChildProcess; rpc: RpcClient }> {
    const [cmd, args] = tsxArgv(path.join(REPO_ROOT, 'src-main/core/cli/main.ts'), 'serve');
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    await waitUntil(() => out.includes('\n') || child.exitCode !== null, 120_000, 'serve ready');
    const info = readServeFile(serveFile);
    expect(info?.pid).toBe(child.pid);
    const rpc = await connectRpc(`ws://127.0.0.1:${info!.port}/rpc?token=${info!.token}`);
    return { child, rpc };
  }

  beforeAll(async () => {
    tmp = makeTempDir('orchard-serve-dl-');
    const fx = path.join(tmp.dir, 'fixtures');
    writeFixtureRepo(fx, REPO, {
      files: { 'config.json': llamaConfig(), 'model.safetensors': { size: SIZE, seed: 21 } },
    });
    sha = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(fx, ...REPO.split('/'), 'model.safetensors')))
      .digest('hex');
    srv = await startHubServer({ root: fx });
    const home = path.join(tmp.dir, 'home');
    env = {
      ...process.env,
      ORCHARD_HOME: home,
      ORCHARD_PORT: '0',
      HF_HUB_CACHE: path.join(tmp.dir, 'hub'),
      HF_ENDPOINT: srv.url,
    };
    serveFile = path.join(home, 'serve.json');
  });

  afterAll(async () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await new Promise((r) => c.once('exit', r));
      }
    }
    await srv?.close();
    tmp?.cleanup();
  });

  it('a download interrupted by killing serve resumes when serve starts again', async () => {
    // Slow first transfer, so serve is killed mid-file; the retry after the restart is fast.
    srv.inject({ kind: 'slow', bytesPerSec: 2 * MB, path: 'model.safetensors' });
    const first = await startServe();
    const out: string[] = [];
    // `orchard pull` hands the download to serve; Ctrl-C right away would pause it, so run it in the background.
    const pulling = run(['pull', REPO, '--json'], { out: (s) => out.push(s), err: () => {} }, env);
    let id = '';
    for (let i = 0; i < 300 && !id; i++) {
      const list = await first.rpc.call('downloads.list');
      id = list.find((d) => d.repoId === REPO)?.id ?? '';
      if (!id) await new Promise((r) => setTimeout(r, 100));
    }
    expect(id).not.toBe('');
    for (let i = 0; i < 600; i++) {
      const v = await first.rpc.call('downloads.get', { id });
      if (v.doneBytes >= 4 * MB) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 400)); // past the next progress checkpoint
    const exited = new Promise((r) => first.child.once('exit', r));
    first.child.kill('SIGKILL');
    await exited;
    first.rpc.close();
    // The CLI saw serve go away: an error, not a hang.
    expect(await pulling).toBe(1);
    const servedBefore = srv.bytesServed(REPO, 'model.safetensors');
    expect(servedBefore).toBeLessThan(SIZE);
    srv.resetStats();

    const second = await startServe();
    let status = '';
    for (let i = 0; i < 1200 && status !== 'done'; i++) {
      status = (await second.rpc.call('downloads.get', { id })).status;
      if (status !== 'done') await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('done');
    // Resumed from the checkpoint, not from zero.
    expect(srv.bytesServed(REPO, 'model.safetensors')).toBeLessThanOrEqual(SIZE - 2 * MB);
    const lib = await second.rpc.call('library.list');
    const model = lib.find((m) => m.repoId === REPO);
    expect(model).toBeDefined();
    const file = path.join(model!.path, 'model.safetensors');
    expect(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')).toBe(sha);

    // The fit estimate asks the running sidecar which model types it loads.
    const det = await second.rpc.call('hub.details', { repoId: REPO });
    expect(det.modelType).toBe('llama');
    expect(det.fit?.supported).toBe(true);

    // rm through serve: the model leaves the library.
    const rm: string[] = [];
    expect(await run(['rm', REPO, '--json'], { out: (s) => rm.push(s), err: () => {} }, env)).toBe(
      0,
    );
    expect(JSON.parse(rm[0]!)).toMatchObject({ repoId: REPO });
    expect((await second.rpc.call('library.list')).some((m) => m.repoId === REPO)).toBe(false);

    second.rpc.close();
    const done = new Promise<number | null>((r) => second.child.once('exit', (c) => r(c)));
    second.child.kill('SIGTERM');
    expect(await done).toBe(0);
    expect(pidsWithEnv(`HF_HUB_CACHE=${env.HF_HUB_CACHE}`)).toEqual([]);
  }, 300_000);
});
