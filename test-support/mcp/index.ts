// Test kit for the MCP area: the real "everything" server from npm as a stdio command (optionally
// dying after a delay, or recording each start), over streamable HTTP, and a header-recording proxy.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export const EVERYTHING = path.resolve(
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);

/** A stdio command line: the everything server, which first appends one line to `startsFile`
 * (when given) and exits with `dieAfterMs` (when given), saying so on stderr. */
export function everythingStdio(o: { startsFile?: string; dieAfterMs?: number } = {}): {
  command: string;
  args: string[];
} {
  const pre: string[] = [];
  if (o.startsFile)
    pre.push(`require('node:fs').appendFileSync(${JSON.stringify(o.startsFile)}, 'start\\n');`);
  if (o.dieAfterMs !== undefined)
    pre.push(
      `setTimeout(() => { console.error('everything: dying on purpose'); process.exit(7); }, ${o.dieAfterMs});`,
    );
  if (pre.length === 0) return { command: process.execPath, args: [EVERYTHING] };
  return {
    command: process.execPath,
    args: ['-e', `${pre.join(' ')} import(${JSON.stringify(EVERYTHING)});`],
  };
}

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** The everything server over streamable HTTP on a free port; resolves once it listens. */
export async function everythingHttp(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('listening on port')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`everything exited (${code}): ${err}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    stop: () =>
      new Promise((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

/** Forwards every request to `target` (origin) and keeps the headers each one arrived with. */
export async function recordingProxy(
  target: string,
): Promise<{ origin: string; seen: http.IncomingHttpHeaders[]; close(): Promise<void> }> {
  const seen: http.IncomingHttpHeaders[] = [];
  const up = new URL(target);
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    const fwd = http.request(
      {
        host: up.hostname,
        port: up.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: up.host },
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
