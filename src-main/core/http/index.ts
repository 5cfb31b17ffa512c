// The one HTTP server of core on 127.0.0.1: /v1 (gateway router), /rpc (WebSocket upgrade), UI files.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Router } from '../gateway/index.ts';
import type { Logger } from '../log/index.ts';
import type { RpcServer } from '../rpc/index.ts';
import { contentSecurityPolicy } from './csp.ts';
import { serveStatic } from './static.ts';

export { contentSecurityPolicy };

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

export async function startHttpServer(opts: {
  host?: string;
  port: number;
  rendererDir: string;
  router: Pick<Router, 'handle'>;
  rpc: RpcServer;
  log: Logger;
}): Promise<HttpServer> {
  const root = path.resolve(opts.rendererDir);
  let port = 0;
  const server = http.createServer((req, res) => {
    opts.router
      .handle(req, res)
      .then((handled) => {
        if (handled) return;
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.writeHead(405, { allow: 'GET, HEAD' }).end();
          return;
        }
        serveStatic(
          root,
          req,
          res,
          contentSecurityPolicy(`http://${opts.host ?? '127.0.0.1'}:${port}`),
        );
      })
      .catch((e: unknown) => {
        opts.log.error('http handler failed', { error: String(e) });
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
  });
  server.on('upgrade', (req, socket, head) => {
    // A throw here would be an uncaught exception (the end of core) raised by one client's request.
    let handled = false;
    try {
      handled = opts.rpc.handleUpgrade(req, socket, head);
    } catch (e) {
      opts.log.error('upgrade handler failed', { error: String(e) });
    }
    if (!handled) socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
