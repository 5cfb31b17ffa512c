// Test helper process: records audit rows, waits until the once-a-second timer has written them,
// records more, then waits to be SIGKILLed; the parent checks the flushed rows survived.
import { openDatabase } from '../../src-main/core/db/index.ts';
import { createAuditLog, type AuditRecord } from '../../src-main/core/gateway/index.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: auditCrashChild.ts DB');
const audit = createAuditLog(openDatabase(file), { flushMs: 1000 });
const row = (i: number): AuditRecord => ({
  requestId: `r${i}`,
  ts: 1_700_000_000_000 + i,
  client: '127.0.0.1',
  apiKeyId: null,
  endpoint: '/v1/chat/completions',
  model: 'm',
  route: 'local:m',
  fallback: false,
  backendModel: 'm',
  status: 200,
  errorCode: null,
  ttftMs: 1,
  durationMs: 2,
  promptTokens: 3,
  completionTokens: 4,
  streamed: false,
});
for (let i = 0; i < 50; i++) audit.record(row(i));
const wait = setInterval(() => {
  if (audit.pending() > 0) return;
  clearInterval(wait);
  // These land in the buffer only: the kill comes before the next tick.
  for (let i = 50; i < 60; i++) audit.record(row(i));
  process.stdout.write('flushed\n');
}, 20);
setInterval(() => {}, 1000);
