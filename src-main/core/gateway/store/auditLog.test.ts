// The buffered audit log on real SQLite: one transaction per flush, filters, export, totals,
// retention, flush on close, and at most the unflushed second lost when the process is killed.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../db/index.ts';
import { makeTempDir } from '../../../../test-support/tmp.ts';
import { AUDIT_CRASH_CHILD } from '../../../../test-support/crash/index.ts';
import { tsxArgv } from '../../../../test-support/tsx.ts';
import { createAuditLog, EXPORT_FIELDS, type AuditRecord } from './auditLog.ts';
import { usageOf } from '../translate/usage.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 10, 12);

function rec(i: number, over: Partial<AuditRecord> = {}): AuditRecord {
  return {
    requestId: `req-${i}`,
    ts: T0 + i,
    client: '127.0.0.1',
    apiKeyId: null,
    endpoint: '/v1/chat/completions',
    model: 'org/m',
    route: 'local:org/m',
    fallback: false,
    backendModel: 'org/m',
    status: 200,
    errorCode: null,
    ttftMs: 5,
    durationMs: 10,
    promptTokens: 3,
    completionTokens: 7,
    streamed: true,
    ...over,
  };
}

describe('audit log', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let db: Database;
  beforeEach(() => {
    tmp = makeTempDir();
    db = openDatabase(path.join(tmp.dir, 'o.db'));
  });
  afterEach(() => {
    db.close();
    tmp.cleanup();
  });

  it('buffers until flush, then writes all rows in one transaction', () => {
    const audit = createAuditLog(db, { flushMs: 60_000 });
    for (let i = 0; i < 500; i++) audit.record(rec(i));
    expect(audit.count()).toBe(0);
    expect(audit.pending()).toBe(500);
    const changesBefore = db.prepare('SELECT total_changes() AS n').get() as { n: number };
    expect(audit.flush()).toBe(500);
    expect(audit.count()).toBe(500);
    expect(audit.pending()).toBe(0);
    expect(
      (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n - changesBefore.n,
    ).toBe(500);
    audit.close();
  });

  it('round-trips every field and never has a text column', () => {
    const audit = createAuditLog(db, { flushMs: 60_000 });
    const r = rec(1, {
      apiKeyId: 'k1',
      fallback: true,
      streamed: false,
      status: 502,
      errorCode: 'upstream_error',
      ttftMs: null,
    });
    audit.record(r);
    audit.close(); // close flushes
    expect(audit.query()).toEqual([r]);
    const cols = (db.pragma('table_info(audit_log)') as Array<{ name: string }>).map((c) => c.name);
    for (const c of cols) expect(c).not.toMatch(/prompt$|completion$|content|text|message/);
  });

  it('keeps speculative counts on the rows that have them, and only there', () => {
    const audit = createAuditLog(db, { flushMs: 60_000 });
    const spec = rec(1, { specProposed: 120, specAccepted: 97 });
    const plain = rec(2);
    audit.record(spec);
    audit.record(plain);
    audit.close();
    expect(audit.query()).toEqual([plain, spec]);
    expect(
      usageOf('openai', {
        usage: {
          completion_tokens: 5,
          orchard: { speculative: { method: 'prompt_lookup', proposed: 9, accepted: 4 } },
        },
      }),
    ).toEqual({ promptTokens: null, completionTokens: 5, specProposed: 9, specAccepted: 4 });
    expect(usageOf('openai', { usage: { completion_tokens: 5 } })).toEqual({
      promptTokens: null,
      completionTokens: 5,
    });
  });

  it('filters by time, model, key, endpoint, status, errors and fallbacks, newest first with paging', () => {
    const audit = createAuditLog(db, { flushMs: 60_000 });
    audit.record(rec(1));
    audit.record(rec(2, { model: 'other', apiKeyId: 'k' }));
    audit.record(rec(3, { status: 404, errorCode: 'model_not_found', endpoint: '/v1/messages' }));
    audit.record(rec(4, { fallback: true }));
    audit.flush();
    expect(audit.query({ model: 'other' }).map((r) => r.requestId)).toEqual(['req-2']);
    expect(audit.query({ apiKeyId: 'k' }).map((r) => r.requestId)).toEqual(['req-2']);
    expect(audit.query({ errorsOnly: true }).map((r) => r.requestId)).toEqual(['req-3']);
    expect(audit.query({ endpoint: '/v1/messages', status: 404 })).toHaveLength(1);
    expect(audit.query({ fallbackOnly: true }).map((r) => r.requestId)).toEqual(['req-4']);
    expect(audit.query({ from: T0 + 2, to: T0 + 4 }).map((r) => r.requestId)).toEqual([
      'req-3',
      'req-2',
    ]);
    expect(audit.query({ limit: 2, offset: 1 }).map((r) => r.requestId)).toEqual([
      'req-3',
      'req-2',
    ]);
    expect(audit.count({ errorsOnly: true })).toBe(1);
    audit.close();
  });

  it('exports CSV and JSON lines across pages, neutralising spreadsheet formulas', () => {
    const audit = createAuditLog(db, { flushMs: 60_000 });
    for (let i = 0; i < 2500; i++) audit.record(rec(i));
    audit.record(rec(9999, { model: '=HYPERLINK("x")', client: 'a,b' }));
    audit.flush();
    const csv = [...audit.export('csv')].join('').trimEnd().split('\n');
    expect(csv[0]).toBe(EXPORT_FIELDS.join(','));
    expect(csv).toHaveLength(2502);
    expect(csv[1]!.split(',')[0]).toBe('req-0');
    expect(csv.at(-1)).toContain(`"'=HYPERLINK(""x"")"`);
    expect(csv.at(-1)).toContain('"a,b"');
    const lines = [...audit.export('jsonl', { from: T0 + 2498 })].join('').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as AuditRecord).requestId)).toEqual([
      'req-2498',
      'req-2499',
      'req-9999',
    ]);
    expect(Object.keys(JSON.parse(lines[0]!) as object)).toEqual([...EXPORT_FIELDS]);
    audit.close();
  });

  it('sums daily totals per UTC day', () => {
    const audit = createAuditLog(db, { flushMs: 60_000 });
    audit.record(rec(1, { durationMs: 10 }));
    audit.record(rec(2, { durationMs: 30, status: 500, fallback: true, promptTokens: null }));
    audit.record(rec(3, { ts: T0 + DAY }));
    audit.flush();
    expect(audit.dailyTotals()).toEqual([
      {
        day: '2025-01-10',
        requests: 2,
        errors: 1,
        fallbacks: 1,
        promptTokens: 3,
        completionTokens: 14,
        avgDurationMs: 20,
      },
      {
        day: '2025-01-11',
        requests: 1,
        errors: 0,
        fallbacks: 0,
        promptTokens: 3,
        completionTokens: 7,
        avgDurationMs: 10,
      },
    ]);
    audit.close();
  });

  it('prunes by age and by row count', () => {
    const audit = createAuditLog(db, { flushMs: 60_000 });
    for (let i = 0; i < 10; i++) audit.record(rec(i, { ts: T0 - (10 - i) * DAY }));
    audit.flush();
    expect(audit.prune({ maxAgeDays: 5 }, T0)).toBe(5);
    expect(audit.prune({ maxRows: 2 }, T0)).toBe(3);
    expect(audit.query().map((r) => r.requestId)).toEqual(['req-9', 'req-8']);
    expect(audit.prune({ maxRows: 2, maxAgeDays: 100 }, T0)).toBe(0);
    audit.close();
  });

  it('a SIGKILLed process keeps every row the once-a-second flush wrote', async () => {
    const file = path.join(tmp.dir, 'crash.db');
    const [cmd, args] = tsxArgv(AUDIT_CRASH_CHILD, file);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => {
        if (b.toString().includes('flushed')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const after = openDatabase(file);
    const ids = (
      after.prepare('SELECT request_id AS rid FROM audit_log ORDER BY id').all() as Array<{
        rid: string;
      }>
    ).map((r) => r.rid);
    expect(ids.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => `r${i}`));
    // Only the rows recorded after the last flush (the last second) may be missing.
    expect(ids.length).toBeLessThanOrEqual(60);
    after.close();
  });
});
