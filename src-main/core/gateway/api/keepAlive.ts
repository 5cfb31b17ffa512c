// Anthropic `ping` events while a stream waits for its first token. The gateway holds a backend's frames
// back until then (a fallback may still replace it), so a long prefill would otherwise be silence.
import type { ServerResponse } from 'node:http';

export const PING_FRAME = 'event: ping\ndata: {"type":"ping"}\n\n';
export const DEFAULT_PING_INTERVAL_MS = 5000;

export interface KeepAlive {
  /** No more pings (the answer's own frames take over, or the response ended). */
  stop(): void;
}

/**
 * Every `intervalMs` until stopped: the headers (once, from `headers()`) and a ping. Pings carry no content,
 * so a fallback's message_start can still follow them; a failure after the headers went out must then be
 * an `error` event in the stream (the request handler writes it).
 */
export function keepAlive(
  res: ServerResponse,
  headers: () => Record<string, string>,
  intervalMs: number,
): KeepAlive {
  const timer = setInterval(() => {
    if (res.writableEnded || res.destroyed) return stop();
    if (!res.headersSent) {
      res.writeHead(200, headers());
      res.socket?.setNoDelay(true);
    }
    res.write(PING_FRAME);
  }, intervalMs);
  timer.unref();
  function stop(): void {
    clearInterval(timer);
  }
  return { stop };
}
