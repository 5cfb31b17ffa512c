// The MCP service against the real "everything" server from npm (stdio and streamable HTTP): tools
// listed, calls confirmed or refused, env and headers delivered but stored encrypted, timeouts,
// crashes reported once and never restarted by themselves, servers stopped on close.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aesCipher, openDatabase, type Database } from '../db/index.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import {
  everythingHttp,
  everythingStdio,
  recordingProxy,
} from '../../../test-support/mcp/index.ts';
import { mcpService, type McpService } from './service.ts';
import { mcpStore } from './store.ts';

const SECRET = 'orchard-env-secret-4711';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

let tmp: ReturnType<typeof makeTempDir>;
let db: Database;
let mcp: McpService;
let states: Array<{ name: string; state: string; error: string | null }>;

beforeEach(() => {
  tmp = makeTempDir();
  db = openDatabase(path.join(tmp.dir, 'o.db'));
  states = [];
  mcp = mcpService({
    store: mcpStore(db, aesCipher(Buffer.alloc(32, 7))),
    version: 'test',
    log: quiet,
    onState: (s) => states.push({ name: s.name, state: s.state, error: s.error }),
  });
});
afterEach(async () => {
  await mcp.close();
  db.close();
  tmp.cleanup();
});

describe('stdio', () => {
  it('offers the tools, runs a confirmed call, and refuses an unconfirmed one on an "ask" server', async () => {
    const s = mcp.add({
      name: 'everything',
      transport: 'stdio',
      ...everythingStdio(),
      url: null,
      env: { ORCHARD_TEST_SECRET: SECRET },
      headers: {},
      permission: 'ask',
      enabled: true,
      timeoutMs: 30_000,
    });
    expect(s).toMatchObject({ state: 'stopped', envKeys: ['ORCHARD_TEST_SECRET'] });
    const { tools, errors } = await mcp.tools();
    expect(errors).toEqual([]);
    const echo = tools.find((t) => t.name === 'echo');
    expect(echo).toMatchObject({ serverId: s.id, tool: 'echo', permission: 'ask' });
    expect(echo?.parameters).toMatchObject({ type: 'object', required: ['message'] });
    expect(mcp.list()[0]).toMatchObject({ state: 'running', toolCount: tools.length });

    await expect(
      mcp.call({ serverId: s.id, tool: 'echo', arguments: { message: 'hi' }, confirmed: false }),
    ).rejects.toMatchObject({ code: 'unauthorized' });
    const r = await mcp.call({
      serverId: s.id,
      tool: 'echo',
      arguments: { message: 'hi' },
      confirmed: true,
    });
    expect(r).toMatchObject({ content: 'Echo: hi', isError: false });

    // The env reached the server, and the database holds it only encrypted.
    const env = await mcp.call({ serverId: s.id, tool: 'get-env', arguments: {}, confirmed: true });
    expect(env.content).toContain(SECRET);
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(fs.readFileSync(path.join(tmp.dir, 'o.db')).includes(SECRET)).toBe(false);

    // Bad arguments and unknown tools come back as errors for the model, not as exceptions.
    const bad = await mcp.call({ serverId: s.id, tool: 'echo', arguments: {}, confirmed: true });
    expect(bad.isError).toBe(true);
    const none = await mcp.call({ serverId: s.id, tool: 'nope', arguments: {}, confirmed: true });
    expect(none).toMatchObject({ isError: true, content: expect.stringContaining('no tool') });

    // "Always allow" needs no confirmation, and leaves the running server alone.
    await mcp.update(s.id, { permission: 'allow' });
    expect(mcp.list()[0]?.state).toBe('running');
    const sum = await mcp.call({
      serverId: s.id,
      tool: 'get-sum',
      arguments: { a: 2, b: 3 },
      confirmed: false,
    });
    expect(sum.content).toContain('5');
  });

  it('ends a call at the timeout with an error the model can read', async () => {
    const s = mcp.add({
      name: 'slow',
      transport: 'stdio',
      ...everythingStdio(),
      url: null,
      env: {},
      headers: {},
      permission: 'allow',
      enabled: true,
      timeoutMs: 1000,
    });
    const r = await mcp.call({
      serverId: s.id,
      tool: 'trigger-long-running-operation',
      arguments: { duration: 10, steps: 2 },
      confirmed: false,
    });
    expect(r).toMatchObject({ isError: true, content: expect.stringContaining('within 1 s') });
    // The server is still up for the next call.
    const echo = await mcp.call({
      serverId: s.id,
      tool: 'echo',
      arguments: { message: 'after' },
      confirmed: false,
    });
    expect(echo.content).toBe('Echo: after');
  });

  it('reports a server that dies, with its stderr, and does not start it again until restart', async () => {
    const starts = path.join(tmp.dir, 'starts.txt');
    const s = mcp.add({
      name: 'fragile',
      transport: 'stdio',
      ...everythingStdio({ startsFile: starts, dieAfterMs: 1500 }),
      url: null,
      env: {},
      headers: {},
      permission: 'allow',
      enabled: true,
      timeoutMs: 30_000,
    });
    expect((await mcp.tools()).tools.length).toBeGreaterThan(5);
    await expect.poll(() => mcp.list()[0]?.state, { timeout: 10_000 }).toBe('crashed');
    expect(mcp.list()[0]?.error).toMatch(/exited[\s\S]*dying on purpose/);
    expect(states.at(-1)).toMatchObject({ name: 'fragile', state: 'crashed' });

    for (let i = 0; i < 3; i++) {
      const again = await mcp.tools();
      expect(again.tools).toEqual([]);
      expect(again.errors[0]).toMatchObject({ server: 'fragile' });
      const call = await mcp.call({
        serverId: s.id,
        tool: 'echo',
        arguments: {},
        confirmed: false,
      });
      expect(call.isError).toBe(true);
    }
    expect(fs.readFileSync(starts, 'utf8')).toBe('start\n');

    expect((await mcp.restart(s.id)).state).toBe('running');
    expect(fs.readFileSync(starts, 'utf8')).toBe('start\nstart\n');
  });

  it('reports a command that cannot start', async () => {
    mcp.add({
      name: 'broken',
      transport: 'stdio',
      command: process.execPath,
      args: ['-e', "console.error('no config here'); process.exit(2)"],
      url: null,
      env: {},
      headers: {},
      permission: 'ask',
      enabled: true,
      timeoutMs: 10_000,
    });
    const { tools, errors } = await mcp.tools();
    expect(tools).toEqual([]);
    expect(errors).toEqual([
      { server: 'broken', message: expect.stringMatching(/did not start[\s\S]*no config here/) },
    ]);
    expect(mcp.list()[0]).toMatchObject({ state: 'crashed' });
  });
});

describe('streamable HTTP', () => {
  it('connects with the stored headers, which are kept encrypted', async () => {
    const server = await everythingHttp();
    const proxy = await recordingProxy(new URL(server.url).origin);
    try {
      const s = mcp.add({
        name: 'remote',
        transport: 'http',
        command: null,
        args: [],
        url: `${proxy.origin}/mcp`,
        env: {},
        headers: { authorization: `Bearer ${SECRET}` },
        permission: 'allow',
        enabled: true,
        timeoutMs: 30_000,
      });
      expect(s.headerKeys).toEqual(['authorization']);
      const { tools } = await mcp.tools();
      expect(tools.map((t) => t.name)).toContain('echo');
      const r = await mcp.call({
        serverId: s.id,
        tool: 'echo',
        arguments: { message: 'over http' },
        confirmed: false,
      });
      expect(r.content).toBe('Echo: over http');
      expect(proxy.seen.length).toBeGreaterThan(1);
      expect(proxy.seen.every((h) => h.authorization === `Bearer ${SECRET}`)).toBe(true);
      db.pragma('wal_checkpoint(TRUNCATE)');
      expect(fs.readFileSync(path.join(tmp.dir, 'o.db')).includes(SECRET)).toBe(false);
      // Moving the server elsewhere without new headers drops the old ones.
      const moved = await mcp.update(s.id, { url: 'http://127.0.0.1:9/mcp' });
      expect(moved.headerKeys).toEqual([]);
    } finally {
      await mcp.close();
      await proxy.close();
      await server.stop();
    }
  });
});

describe('names and files', () => {
  it('imports Cursor mcp.json, naming what it skips, and prefixes tool names two servers share', async () => {
    process.env.ORCHARD_TEST_IMPORT = SECRET;
    const cmd = everythingStdio();
    const json = JSON.stringify({
      mcpServers: {
        one: { command: cmd.command, args: cmd.args, env: { TOKEN: '${env:ORCHARD_TEST_IMPORT}' } },
        two: { command: cmd.command, args: cmd.args },
        web: { url: 'http://127.0.0.1:9/mcp', headers: { 'x-key': 'k' } },
        old: { type: 'sse', url: 'http://127.0.0.1:9/sse' },
        'bad name': { command: 'x' },
        empty: {},
      },
    });
    const r = mcp.importJson(json);
    expect(r.added).toEqual(['one', 'two', 'web']);
    expect(r.skipped.map((x) => x.name)).toEqual(['old', 'bad name', 'empty']);
    expect(mcp.importJson(json).skipped.map((x) => x.reason)).toContain(
      'a server with this name exists',
    );
    expect(() => mcp.importJson('{"servers": {}}')).toThrow(/mcpServers/);
    expect(() => mcp.importJson('not json')).toThrow(/not valid JSON/);

    await mcp.update(mcp.list().find((s) => s.name === 'web')?.id ?? '', { enabled: false });
    const { tools, errors } = await mcp.tools();
    expect(errors).toEqual([]);
    const names = tools.map((t) => t.name);
    expect(names).toContain('one__echo');
    expect(names).toContain('two__echo');
    expect(names).not.toContain('echo');
    const one = tools.find((t) => t.name === 'one__echo');
    const env = await mcp.call({
      serverId: one?.serverId ?? '',
      tool: 'get-env',
      arguments: {},
      confirmed: true,
    });
    expect(env.content).toContain(SECRET);
  });

  it('stops every server on close', async () => {
    const pidFile = path.join(tmp.dir, 'pid');
    mcp.add({
      name: 'p',
      transport: 'stdio',
      command: process.execPath,
      args: [
        '-e',
        `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); import(${JSON.stringify(everythingStdio().args[0])});`,
      ],
      url: null,
      env: {},
      headers: {},
      permission: 'ask',
      enabled: true,
      timeoutMs: 30_000,
    });
    expect((await mcp.tools()).errors).toEqual([]);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).not.toThrow();
    await mcp.close();
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    expect(mcp.list()[0]?.state).toBe('stopped');
  });
});
