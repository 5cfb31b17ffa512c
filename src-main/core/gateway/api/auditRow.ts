// The audit row a /v1 request fills in as it goes (key, route, status, timings, tokens), recorded once
// when the request is done, whatever its end.
import type { IncomingMessage } from 'node:http';
import type { AuditRecord } from '../store/auditLog.ts';

export function newAuditRow(
  requestId: string,
  ts: number,
  req: IncomingMessage,
  endpoint: string,
): AuditRecord {
  return {
    requestId,
    ts,
    client: req.socket.remoteAddress ?? null,
    apiKeyId: null,
    endpoint,
    model: null,
    route: 'none',
    fallback: false,
    backendModel: null,
    status: 0,
    errorCode: null,
    ttftMs: null,
    durationMs: null,
    promptTokens: null,
    completionTokens: null,
    streamed: false,
  };
}
