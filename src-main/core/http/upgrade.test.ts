// Upgrade requests a client can make hostile: an absolute-form target that is no URL (found by the fuzz
// suite: it threw inside the 'upgrade' listener, an uncaught exception that ends core) and a throwing handler.
import net from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../test-support/sidecar/kit.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { createDispatcher, createRpcServer, type Handlers, type RpcServer } from '../rpc/index.ts';
import { startHttpServer, type HttpServer } from './index.ts';

/**
 * Writes raw bytes and returns everything the server sent before it closed the socket (or, with
 * `firstData`, the first bytes it sent: an upgraded socket stays open).
 */
function raw(port: number, text: string, firstData = false): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    s.on('data', (b: Buffer) => {
      got += b.toString('latin1');
      if (firstData) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('close', () => resolve(got));
    s.on('error', () => undefined);
    setTimeout(() => reject(new Error(`socket still open; got ${JSON.stringify(got)}`)), 5_000);
  });
}

const upgrade = (target: string) =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
  'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';

describe('HTTP upgrades', () => {
  let server: HttpServer | undefined;
  const tmp = makeTempDir();
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(() => tmp.cleanup());

  async function start(rpc: RpcServer) {
    const { log, lines } = memoryLogger();
    server = await startHttpServer({
      port: 0,
      rendererDir: tmp.dir,
      router: { handle: () => Promise.resolve(false) },
      rpc,
      log,
    });
    return { port: server.port, lines };
  }

  it('an absolute-form target that is no URL is dropped, and the server keeps serving', async () => {
    const { log } = memoryLogger();
    const rpc = createRpcServer({
      path: '/rpc',
      token: 't',
      dispatcher: createDispatcher({} as Handlers),
      log,
    });
    const { port } = await start(rpc);
    for (const target of ['http://[/rpc', 'http://127.0.0.1:99999/rpc', 'http://[::1/rpc'])
      expect(await raw(port, upgrade(target))).toBe('');
    // The RPC path itself still upgrades, and plain requests are still answered.
    expect(await raw(port, upgrade('/rpc?token=t'), true)).toMatch(/^HTTP\/1\.1 101/);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(200);
    rpc.close();
  });

  it('a handler that throws costs its own socket only, and says so in the log', async () => {
    const rpc: RpcServer = {
      broadcast: () => undefined,
      handleUpgrade: () => {
        throw new Error('boom');
      },
      close: () => undefined,
    };
    const { port, lines } = await start(rpc);
    expect(await raw(port, upgrade('/rpc'))).toBe('');
    expect(lines.some((l) => l.message === 'upgrade handler failed')).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
  });
});
