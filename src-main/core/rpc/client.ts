// A small RPC client over WebSocket for the CLI and tests; the renderer has its own browser one.
import WebSocket from 'ws';
import { CoreError, type ErrorCode } from '../errors/index.ts';
import type { MethodInput, MethodName, MethodResult } from '#shared/contract/index.ts';
import type { ServerFrame } from '#shared/contract/wire.ts';

export interface RpcClient {
  call<M extends MethodName>(method: M, params?: MethodInput<M>): Promise<MethodResult<M>>;
  /** Sends anything, for tests of validation. */
  callRaw(method: string, params: unknown): Promise<unknown>;
  onEvent(fn: (event: string, data: unknown) => void): void;
  close(): void;
}

export function connectRpc(url: string): Promise<RpcClient> {
  const ws = new WebSocket(url);
  let next = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  const listeners: Array<(event: string, data: unknown) => void> = [];

  return new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('unexpected-response', (_req, res) =>
      reject(new CoreError('unauthorized', `RPC refused: HTTP ${res.statusCode}`)),
    );
    ws.on('close', (code, reason) => {
      const err = new CoreError(
        'unauthorized',
        `RPC connection closed (${code} ${String(reason)})`,
      );
      for (const p of pending.values()) p.reject(err);
      pending.clear();
      reject(err);
    });
    ws.on('message', (raw) => {
      const frame = JSON.parse(String(raw)) as ServerFrame;
      if (frame.type === 'ready') resolve(client);
      else if (frame.type === 'event') for (const l of listeners) l(frame.event, frame.data);
      else if (frame.id !== null) {
        const p = pending.get(frame.id);
        pending.delete(frame.id);
        if (frame.type === 'result') p?.resolve(frame.result);
        else p?.reject(new CoreError(frame.error.code as ErrorCode, frame.error.message));
      }
    });
    const callRaw = (method: string, params: unknown): Promise<unknown> =>
      new Promise((res, rej) => {
        // ws drops a send on a closed socket silently; without this a call after serve went away would hang.
        if (ws.readyState !== WebSocket.OPEN) {
          rej(new CoreError('unauthorized', 'RPC connection closed'));
          return;
        }
        const id = next++;
        pending.set(id, { resolve: res, reject: rej });
        ws.send(JSON.stringify({ type: 'call', id, method, params }));
      });
    const client: RpcClient = {
      call: (method, params) => callRaw(method, params ?? {}) as Promise<never>,
      callRaw,
      onEvent: (fn) => listeners.push(fn),
      close: () => ws.close(),
    };
  });
}
