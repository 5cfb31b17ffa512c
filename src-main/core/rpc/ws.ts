// Serves the dispatcher over a WebSocket behind the per-launch token (query `?token=` or a first
// `auth` frame), and pushes contract events to every authenticated client.
import type http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../log/index.ts';
import { hostName, isLoopbackHost, originAllowed, tokensEqual } from '../net/index.ts';
import type { EventName } from '#shared/contract/index.ts';
import { ClientFrame, type ServerFrame } from '#shared/contract/wire.ts';
import type { Dispatcher } from './dispatcher.ts';

const AUTH_TIMEOUT_MS = 5_000;
const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Until a socket has shown the token, a frame can only be an auth frame, which is tiny. */
const UNAUTHENTICATED_FRAME_BYTES = 4 * 1024;

/**
 * ws has no public setter for a socket's frame limit; its receiver reads `_maxPayload` for every
 * frame, so raising it after authentication takes effect at once (ws is pinned in package.json).
 */
function setFrameLimit(ws: WebSocket, bytes: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload: number } })._receiver;
  if (receiver) receiver._maxPayload = bytes;
}

function refuse(socket: import('node:stream').Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export interface RpcServer {
  broadcast(event: EventName, data: unknown): void;
  /** Handles an HTTP upgrade for the RPC path; false when the request is not ours. */
  handleUpgrade(
    req: http.IncomingMessage,
    socket: import('node:stream').Duplex,
    head: Buffer,
  ): boolean;
  close(): void;
}

export function createRpcServer(opts: {
  path: string;
  token: string;
  dispatcher: Dispatcher;
  log: Logger;
}): RpcServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: UNAUTHENTICATED_FRAME_BYTES });
  const authed = new Set<WebSocket>();

  const send = (ws: WebSocket, frame: ServerFrame): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };

  wss.on('connection', (ws: WebSocket, preAuthed: boolean) => {
    const admit = (): void => {
      authed.add(ws);
      setFrameLimit(ws, MAX_FRAME_BYTES);
      send(ws, { type: 'ready' });
    };
    let timer: NodeJS.Timeout | undefined;
    if (preAuthed) admit();
    else timer = setTimeout(() => ws.close(4401, 'authentication required'), AUTH_TIMEOUT_MS);
    // An oversized or malformed frame: ws closes the socket itself; this only keeps it off the crash path.
    ws.on('error', (e) => opts.log.warn('RPC socket closed on a bad frame', { error: e.message }));
    ws.on('close', () => {
      clearTimeout(timer);
      authed.delete(ws);
    });
    ws.on('message', (raw) => {
      let frame: ClientFrame;
      try {
        frame = ClientFrame.parse(JSON.parse(String(raw)));
      } catch {
        if (!authed.has(ws)) {
          ws.close(4401, 'the first frame must be auth');
          return;
        }
        send(ws, {
          type: 'error',
          id: null,
          error: { code: 'validation', message: 'malformed frame' },
        });
        return;
      }
      if (!authed.has(ws)) {
        if (frame.type === 'auth' && tokensEqual(frame.token, opts.token)) {
          clearTimeout(timer);
          admit();
        } else {
          ws.close(4401, 'bad token');
        }
        return;
      }
      if (frame.type !== 'call') return;
      void opts.dispatcher.call(frame.method, frame.params).then((r) => {
        if (r.ok) send(ws, { type: 'result', id: frame.id, result: r.result });
        else send(ws, { type: 'error', id: frame.id, error: r.error });
      });
    });
  });

  return {
    broadcast(event, data) {
      const text = JSON.stringify({ type: 'event', event, data } satisfies ServerFrame);
      for (const ws of authed) if (ws.readyState === ws.OPEN) ws.send(text);
    },
    handleUpgrade(req, socket, head) {
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://localhost');
      } catch {
        // An absolute-form target that is no URL ('http://['): not ours; the caller drops the socket.
        return false;
      }
      if (url.pathname !== opts.path) return false;
      // A page on another site (Origin) or a rebound DNS name (Host) never reaches the dispatcher.
      if (
        !isLoopbackHost(hostName(req.headers.host)) ||
        !originAllowed(req.headers.origin, req.headers.host)
      ) {
        opts.log.warn('rejected RPC connection from a foreign host or origin', {
          remote: req.socket.remoteAddress,
        });
        refuse(socket, '403 Forbidden');
        return true;
      }
      const token = url.searchParams.get('token');
      if (token !== null && !tokensEqual(token, opts.token)) {
        opts.log.warn('rejected RPC connection with a bad token', {
          remote: req.socket.remoteAddress,
        });
        refuse(socket, '401 Unauthorized');
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, token !== null));
      return true;
    },
    close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
