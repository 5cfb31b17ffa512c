// Gateway audit log: one metadata row per request (never prompt or completion text), buffered in
// memory and written once a second in one transaction, so a crash loses at most the last second.
import type { Database } from 'better-sqlite3';

export interface AuditRecord {
  requestId: string;
  ts: number;
  client: string | null;
  apiKeyId: string | null;
  endpoint: string;
  model: string | null;
  /** The backend that answered (or was last tried), e.g. `local:org/m` or `provider:groq/llama`; `none` if routing failed. */
  route: string;
  fallback: boolean;
  backendModel: string | null;
  status: number;
  errorCode: string | null;
  ttftMs: number | null;
  durationMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  streamed: boolean;
  /** Speculative decoding: tokens proposed and accepted; absent when the request did not speculate. */
  specProposed?: number;
  specAccepted?: number;
}

export interface AuditFilter {
  from?: number;
  to?: number;
  model?: string;
  endpoint?: string;
  apiKeyId?: string;
  status?: number;
  errorsOnly?: boolean;
  /** Only answered requests (status below 400). */
  okOnly?: boolean;
  /** Substring of the route, e.g. `provider:` or `local:org/m`. */
  route?: string;
  fallbackOnly?: boolean;
  limit?: number;
  offset?: number;
}

export interface DailyTotal {
  day: string; // YYYY-MM-DD, UTC
  requests: number;
  errors: number;
  fallbacks: number;
  promptTokens: number;
  completionTokens: number;
  avgDurationMs: number | null;
}

export interface Retention {
  maxAgeDays?: number;
  maxRows?: number;
}

const COLUMNS = `request_id AS requestId, ts, client, api_key_id AS apiKeyId, api AS endpoint, model, route,
  fallback, backend_model AS backendModel, status, error_code AS errorCode, ttft_ms AS ttftMs,
  latency_ms AS durationMs, prompt_tokens AS promptTokens, completion_tokens AS completionTokens, streamed,
  spec_proposed AS specProposed, spec_accepted AS specAccepted`;

export const EXPORT_FIELDS: ReadonlyArray<keyof AuditRecord> = [
  'requestId',
  'ts',
  'client',
  'apiKeyId',
  'endpoint',
  'model',
  'route',
  'fallback',
  'backendModel',
  'status',
  'errorCode',
  'ttftMs',
  'durationMs',
  'promptTokens',
  'completionTokens',
  'streamed',
];

type RawRecord = Omit<AuditRecord, 'fallback' | 'streamed'> & {
  fallback: number;
  streamed: number;
};
// The speculative counts appear only on rows that have them, so other rows read as before.
const fromRaw = ({ specProposed, specAccepted, ...r }: RawRecord): AuditRecord => ({
  ...r,
  fallback: r.fallback === 1,
  streamed: r.streamed === 1,
  ...(specProposed != null ? { specProposed, specAccepted: specAccepted ?? 0 } : {}),
});

function where(f: AuditFilter): { sql: string; params: Record<string, unknown> } {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  const eq: Array<[keyof AuditFilter, string]> = [
    ['from', 'ts >= @from'],
    ['to', 'ts < @to'],
    ['model', 'model = @model'],
    ['endpoint', 'api = @endpoint'],
    ['apiKeyId', 'api_key_id = @apiKeyId'],
    ['status', 'status = @status'],
  ];
  for (const [key, sql] of eq) {
    if (f[key] === undefined) continue;
    parts.push(sql);
    params[key] = f[key];
  }
  if (f.errorsOnly) parts.push('status >= 400');
  if (f.okOnly) parts.push('status < 400');
  if (f.route !== undefined) {
    parts.push('instr(route, @route) > 0');
    params.route = f.route;
  }
  if (f.fallbackOnly) parts.push('fallback = 1');
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
  // Quote anything a spreadsheet could misread; a leading = + - @ is neutralised against formula injection.
  const safe = /^[=+\-@]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\n\r]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export interface AuditLog {
  record(r: AuditRecord): void;
  /** Write everything buffered now, in one transaction. Returns rows written. */
  flush(): number;
  pending(): number;
  query(f?: AuditFilter): AuditRecord[];
  count(f?: AuditFilter): number;
  /** Rows matching the filter as CSV or JSON lines, oldest first, produced in pages. */
  export(format: 'csv' | 'jsonl', f?: AuditFilter): Generator<string>;
  dailyTotals(f?: Pick<AuditFilter, 'from' | 'to' | 'apiKeyId' | 'model'>): DailyTotal[];
  prune(r: Retention, now?: number): number;
  /** Flush and stop the timer (shutdown). */
  close(): void;
}

export function createAuditLog(
  db: Database,
  opts: { flushMs?: number; retention?: Retention; now?: () => number } = {},
): AuditLog {
  const now = opts.now ?? Date.now;
  const insert = db.prepare(
    `INSERT INTO audit_log (request_id, ts, client, api_key_id, api, model, route, fallback, backend_model, status,
       error_code, ttft_ms, latency_ms, prompt_tokens, completion_tokens, streamed, spec_proposed, spec_accepted)
     VALUES (@requestId, @ts, @client, @apiKeyId, @endpoint, @model, @route, @fallback, @backendModel, @status,
       @errorCode, @ttftMs, @durationMs, @promptTokens, @completionTokens, @streamed, @specProposed,
       @specAccepted)`,
  );
  let buffer: AuditRecord[] = [];
  const writeAll = db.transaction((rows: AuditRecord[]) => {
    for (const r of rows)
      insert.run({
        ...r,
        fallback: r.fallback ? 1 : 0,
        streamed: r.streamed ? 1 : 0,
        specProposed: r.specProposed ?? null,
        specAccepted: r.specAccepted ?? null,
      });
  });
  const flush = (): number => {
    if (buffer.length === 0) return 0;
    const rows = buffer;
    buffer = [];
    try {
      writeAll(rows);
    } catch (e) {
      // Keep the rows for the next tick rather than losing them (e.g. SQLITE_BUSY).
      buffer = rows.concat(buffer);
      throw e;
    }
    return rows.length;
  };
  let sincePrune = 0;
  const timer = setInterval(() => {
    try {
      flush();
      // Retention is cheap but not free; apply it about once a minute.
      if (opts.retention && ++sincePrune >= 60) {
        sincePrune = 0;
        prune(opts.retention);
      }
    } catch {
      // The next tick retries; an audit write failure must not take the gateway down.
    }
  }, opts.flushMs ?? 1000);
  timer.unref();

  const prune = (r: Retention, at = now()): number => {
    let removed = 0;
    if (r.maxAgeDays !== undefined) {
      removed += db
        .prepare('DELETE FROM audit_log WHERE ts < ?')
        .run(at - r.maxAgeDays * 86_400_000).changes;
    }
    if (r.maxRows !== undefined) {
      removed += db
        .prepare(
          'DELETE FROM audit_log WHERE id <= (SELECT id FROM audit_log ORDER BY id DESC LIMIT 1 OFFSET ?)',
        )
        .run(r.maxRows).changes;
    }
    return removed;
  };

  const query = (f: AuditFilter = {}): AuditRecord[] => {
    const w = where(f);
    const rows = db
      .prepare(
        `SELECT ${COLUMNS} FROM audit_log ${w.sql} ORDER BY ts DESC, id DESC LIMIT @limit OFFSET @offset`,
      )
      .all({ ...w.params, limit: f.limit ?? 100, offset: f.offset ?? 0 }) as RawRecord[];
    return rows.map(fromRaw);
  };

  return {
    record(r) {
      buffer.push(r);
    },
    flush,
    pending: () => buffer.length,
    query,
    count(f = {}) {
      const w = where(f);
      return (
        db.prepare(`SELECT COUNT(*) AS n FROM audit_log ${w.sql}`).get(w.params) as { n: number }
      ).n;
    },
    *export(format, f = {}) {
      const w = where(f);
      const page = db.prepare(
        `SELECT id, ${COLUMNS} FROM audit_log ${w.sql ? `${w.sql} AND` : 'WHERE'} id > @after ORDER BY id LIMIT 1000`,
      );
      if (format === 'csv') yield `${EXPORT_FIELDS.join(',')}\n`;
      let after = 0;
      for (;;) {
        const rows = page.all({ ...w.params, after }) as Array<RawRecord & { id: number }>;
        if (rows.length === 0) return;
        after = rows[rows.length - 1]!.id;
        let out = '';
        for (const raw of rows) {
          const r = fromRaw(raw);
          out +=
            format === 'csv'
              ? `${EXPORT_FIELDS.map((k) => csvCell(r[k])).join(',')}\n`
              : `${JSON.stringify(Object.fromEntries(EXPORT_FIELDS.map((k) => [k, r[k]])))}\n`;
        }
        yield out;
      }
    },
    dailyTotals(f = {}) {
      const w = where(f);
      return db
        .prepare(
          `SELECT strftime('%Y-%m-%d', ts / 1000, 'unixepoch') AS day, COUNT(*) AS requests,
             SUM(status >= 400) AS errors, SUM(fallback) AS fallbacks,
             COALESCE(SUM(prompt_tokens), 0) AS promptTokens, COALESCE(SUM(completion_tokens), 0) AS completionTokens,
             AVG(latency_ms) AS avgDurationMs
           FROM audit_log ${w.sql} GROUP BY day ORDER BY day`,
        )
        .all(w.params) as DailyTotal[];
    },
    prune,
    close() {
      clearInterval(timer);
      flush();
    },
  };
}
