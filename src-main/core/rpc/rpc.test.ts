// RPC over the real WebSocket transport: token checks, and every method rejecting malformed input
// with a validation error and no side effect (database bytes-for-bytes the same, sidecar untouched).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startCore, type Core } from '../app/index.ts';
import { loadConfig } from '../config/index.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { contract, type MethodName } from '#shared/contract/index.ts';
import { connectRpc, type RpcClient } from './index.ts';

const GENERIC_BAD: unknown[] = [42, 'text', [], true, { __extra: 1 }];

/** Per-method inputs that have the right outer shape but a wrong field. Every method must be listed. */
const BAD = {
  'app.status': [],
  'sidecar.status': [],
  'sidecar.restart': [],
  'engine.status': [],
  'engine.install': [],
  'engine.repair': [],
  'engine.verify': [],
  'profiles.list': [],
  'profiles.get': [{ id: '' }, { id: 5 }],
  'profiles.create': [
    { name: '', model: 'm' },
    { name: 'ok', model: 'm', params: { temperature: -1 } },
    { name: 'ok', model: 'm', params: { top_p: 0 } },
    { name: 'ok', model: 'm', params: { stop: 'not-a-list' } },
    { name: 'ok', model: 'm', params: { max_tokens: 1.5 } },
    { name: 'ok', model: 'm', params: { unknown_knob: 1 } },
    { name: 'ok' },
  ],
  'profiles.update': [
    { id: 'x', patch: { params: { min_p: 2 } } },
    { id: 'x' },
    { id: 'x', patch: { name: '' } },
  ],
  'profiles.duplicate': [{ id: 'x', name: '' }, { name: 'n' }],
  'profiles.delete': [{ id: '' }, {}],
  'profiles.setDefault': [{}, { id: null }],
  'models.list': [],
  'models.load': [
    { model: '' },
    { model: 'm', ttl_seconds: -5 },
    { model: 'm', context_length: 0 },
    { model: 'm', pin: 'yes' },
  ],
  'models.unload': [{}, { model: '' }],
  'models.cancelLoad': [{}, { model: '' }, { model: 'm', extra: 1 }],
  'models.countTokens': [
    { model: 'm' },
    { model: 'm', texts: Array.from({ length: 65 }, () => 'x') },
    { model: '', texts: [] },
  ],
  'memory.status': [],
  'memory.setLimit': [
    { limit: { gb: -1 } },
    { limit: { percent: 150 } },
    { limit: { gb: 1, percent: 5 } },
    { limit: '8GB' },
  ],
  'config.export': [{ withSecrets: 'yes' }],
  'config.import': [{}, { config: {}, extra: 1 }],
  'conversations.list': [],
  'conversations.create': [{ title: '' }, { profileId: '' }],
  'conversations.rename': [{ id: 'x', title: '' }, { id: 'x' }],
  'conversations.delete': [{}, { id: '' }],
  'conversations.messages': [{}],
  'conversations.addMessage': [
    { conversationId: 'c', role: 'wizard', content: 'x' },
    { conversationId: 'c', role: 'user' },
  ],
  'conversations.truncate': [{ conversationId: 'c', fromMessageId: 1.5 }, { conversationId: 'c' }],
  'settings.get': [{ x: 1 }],
  'settings.set': [
    { port: 80 },
    { port: 8080 },
    { port: 9000.5 },
    { host: 'bad host!' },
    { corsOrigins: ['http://a/b'] },
    { modelsFolders: ['relative/path'] },
    { downloadConcurrency: 0 },
    { theme: 'blue' },
    { hfToken: 'has space' },
    { unknown: true },
  ],
  'logs.tail': [{ level: 'loud' }, { limit: 0 }, { component: 'ui' }],
  'apiKeys.list': [{ x: 1 }],
  'apiKeys.create': [{ name: '' }, {}],
  'apiKeys.revoke': [{ id: '' }, {}],
  'routing.list': [{ x: 1 }],
  'routing.addRule': [
    { pattern: '', target: { kind: 'local', model: 'm' } },
    { pattern: 'x', target: { kind: 'cloud' } },
  ],
  'routing.updateRule': [
    { id: 'r', patch: { pattern: '' } },
    { id: '', patch: {} },
  ],
  'routing.removeRule': [{ id: '' }],
  'routing.reorder': [{ ids: [''] }, { ids: 'a' }],
  'routing.explain': [{ model: '' }],
  'providers.add': [
    { name: 'p', format: 'grpc', baseUrl: 'http://x' },
    { name: 'p', format: 'openai', baseUrl: 'ftp://x' },
  ],
  'providers.update': [{ id: 'p', patch: { baseUrl: 'nope' } }],
  'providers.remove': [{ id: '' }],
  'providers.test': [{}],
  'audit.query': [{ limit: 0 }, { status: 'weird' }, { from: 10, to: 5 }],
  'audit.daily': [{ from: -1 }],
  'audit.exportCsv': [{ offset: -1 }],
  'models.importGguf': [
    { path: 'rel.gguf', repoId: 'local/x' },
    { path: '/a/b.txt', repoId: 'local/x' },
    { path: '/a/b.gguf', repoId: 'nope' },
  ],
  'hub.search': [{ pageSize: 1000 }, { page: -1 }, { sort: 'random' }, { query: 'x'.repeat(201) }],
  'hub.details': [
    { repoId: '../etc' },
    { repoId: 'org/name', contextLength: 0 },
    { repoId: 'org/name', revision: 'a b' },
    {},
  ],
  'downloads.pull': [
    { repoId: 'no-slash' },
    { repoId: 'org/../x' },
    { repoId: 'org/name', revision: '' },
    { repoId: 'org/name', revision: 'main;rm' },
    { repoId: 'org/name', extra: true },
  ],
  'downloads.pause': [{}, { id: '' }, { id: 5 }],
  'downloads.resume': [{}, { id: '' }, { id: 'x'.repeat(101) }],
  'downloads.cancel': [{}, { id: '' }, { id: null }],
  'downloads.get': [{}, { id: '' }],
  'downloads.list': [{ status: 'done' }],
  'library.list': [{ all: true }],
  'library.delete': [{}, { repoId: '' }, { repoId: 7 }],
  'integrations.info': [{ extra: true }],
  'mcp.list': [{ extra: true }],
  'mcp.add': [
    {},
    { name: 'x', transport: 'stdio' },
    { name: 'x', transport: 'http', url: 'file:///etc/passwd' },
    { name: 'bad name!', transport: 'stdio', command: 'node' },
    { name: 'x', transport: 'stdio', command: 'node', env: { 'A B': '1' } },
    { name: 'x', transport: 'stdio', command: 'node', permission: 'never' },
    { name: 'x', transport: 'stdio', command: 'node', timeoutMs: 10 },
  ],
  'mcp.update': [{}, { id: 'x' }, { id: 'x', patch: { transport: 'sse' } }],
  'mcp.remove': [{}, { id: '' }],
  'mcp.import': [{}, { json: 5 }],
  'mcp.restart': [{}, { id: 3 }],
  'mcp.tools': [{ all: true }],
  'mcp.call': [{}, { serverId: 'x', tool: 'echo' }, { serverId: 'x', tool: '', arguments: {} }],
} satisfies Record<MethodName, unknown[]>;

function dump(core: Core): string {
  const tables = core.db
    .prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
    .all() as Array<{ name: string }>;
  return JSON.stringify(
    tables.map((t) => [t.name, core.db.prepare(`SELECT * FROM "${t.name}"`).all()]),
  );
}

describe('rpc', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let core: Core;
  let rpc: RpcClient;
  let base: string;

  beforeAll(async () => {
    tmp = makeTempDir();
    const config = loadConfig({
      ORCHARD_HOME: tmp.dir,
      ORCHARD_PORT: '0',
      HF_HUB_CACHE: path.join(tmp.dir, 'hub'),
    });
    core = await startCore({ config, http: true, sidecar: false });
    base = `ws://127.0.0.1:${core.web!.port}/rpc`;
    rpc = await connectRpc(`${base}?token=${core.web!.token}`);
  });
  afterAll(async () => {
    rpc?.close();
    await core?.stop();
    tmp?.cleanup();
  });

  it('the contract lists every method the table above covers', () => {
    expect(Object.keys(BAD).sort()).toEqual(Object.keys(contract).sort());
  });

  it('every method rejects malformed input with a validation error and no side effect', async () => {
    // Some data to be (not) changed.
    const p = await rpc.call('profiles.create', {
      name: 'Keep',
      model: 'org/m',
      params: { temperature: 0.5 },
    });
    await rpc.call('conversations.create', { title: 'Chat' });
    const before = dump(core);
    const sidecarBefore = core.supervisor.status();
    let checked = 0;
    for (const method of Object.keys(contract) as MethodName[]) {
      for (const bad of [...GENERIC_BAD, ...BAD[method]]) {
        const err = await rpc.callRaw(method, bad).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, `${method} accepted ${JSON.stringify(bad)}`).toMatchObject({
          code: 'validation',
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(dump(core)).toBe(before);
    expect(core.supervisor.status()).toEqual(sidecarBefore);
    // No download started and nothing deleted: the HF cache was never even created.
    expect(fs.existsSync(core.config.hfHubCache)).toBe(false);
    expect((await rpc.call('profiles.get', { id: p.id })).params).toEqual({ temperature: 0.5 });
  });

  it('unknown methods and bad config documents are refused, also without side effects', async () => {
    const before = dump(core);
    await expect(rpc.callRaw('profiles.drop_all', {})).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      rpc.call('config.import', {
        config: { orchard: 1, profiles: [{ name: 'X', model: 'm', params: { top_k: -3 } }] },
      }),
    ).rejects.toMatchObject({
      code: 'validation',
      message: expect.stringContaining('profiles.0.params.top_k'),
    });
    expect(dump(core)).toBe(before);
  });

  it('a valid call works and errors carry {code, message}', async () => {
    const list = await rpc.call('profiles.list');
    expect(list.map((p) => p.name)).toContain('Keep');
    await expect(rpc.call('profiles.get', { id: 'missing' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(rpc.call('models.list')).rejects.toMatchObject({ code: 'sidecar_unavailable' });
  });

  it('refuses a connection with a wrong token or none', async () => {
    await expect(connectRpc(`${base}?token=wrong`)).rejects.toMatchObject({ code: 'unauthorized' });
    // No token in the URL: a wrong first frame closes the socket, the right one admits.
    const ws = new WebSocket(base);
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify({ type: 'call', id: 1, method: 'profiles.list', params: {} }));
    expect(await closed).toBe(4401);

    const ws2 = new WebSocket(base);
    await new Promise((r) => ws2.on('open', r));
    const first = new Promise<string>((r) => ws2.once('message', (m) => r(String(m))));
    ws2.send(JSON.stringify({ type: 'auth', token: core.web!.token }));
    expect(JSON.parse(await first)).toEqual({ type: 'ready' });
    ws2.close();
  });
  it('accepts upgrades only for a loopback Host and a same-origin (or absent) Origin', async () => {
    const port = core.web!.port;
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${base}?token=${core.web!.token}`, { headers });
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => undefined);
      });
    expect(await status({})).toBe(101);
    expect(await status({ Origin: `http://127.0.0.1:${port}` })).toBe(101);
    expect(await status({ Origin: 'https://evil.example' })).toBe(403);
    expect(await status({ Origin: `http://localhost:${port + 1}` })).toBe(403);
    expect(await status({ Origin: 'null' })).toBe(403);
    expect(await status({ Host: `evil.example:${port}` })).toBe(403);
  });

  it('before authentication a frame is tiny and must be auth; after it, large frames pass', async () => {
    const closeCode = (send: (ws: WebSocket) => void) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(base);
        ws.on('open', () => send(ws));
        ws.on('close', (code) => resolve(code));
        ws.on('error', () => undefined);
      });
    // 1009: message too big, closed by ws before a byte of it is parsed.
    expect(await closeCode((ws) => ws.send('x'.repeat(64 * 1024)))).toBe(1009);
    expect(await closeCode((ws) => ws.send('{not json'))).toBe(4401);

    const ws = new WebSocket(base);
    await new Promise((r) => ws.on('open', r));
    const next = () => new Promise<string>((r) => ws.once('message', (m) => r(String(m))));
    let reply = next();
    ws.send(JSON.stringify({ type: 'auth', token: core.web!.token }));
    expect(JSON.parse(await reply)).toEqual({ type: 'ready' });
    reply = next();
    const title = 't'.repeat(200);
    ws.send(
      JSON.stringify({
        type: 'call',
        id: 7,
        method: 'conversations.create',
        params: { title, padding: 'p'.repeat(1024 * 1024) },
      }),
    );
    // The 1 MB frame reached the dispatcher (which refuses the unknown field), so the socket is open.
    expect(JSON.parse(await reply)).toMatchObject({
      type: 'error',
      id: 7,
      error: { code: 'validation' },
    });
    ws.close();
  });
});
