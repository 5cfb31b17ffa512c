// The gateway's audit log as the Logs screen reads it: one row per request (metadata only),
// daily totals and the CSV export.
import { z } from 'zod';
import { method } from './common.ts';

/** Filters of the audit table; times are epoch milliseconds. */
export const AuditQuery = z
  .object({
    from: z.number().int().min(0).optional(),
    to: z.number().int().min(0).optional(),
    model: z.string().trim().min(1).max(1024).optional(),
    /** Substring of the route, e.g. `provider:` or `local:org/m`. */
    route: z.string().trim().min(1).max(2048).optional(),
    status: z.enum(['ok', 'error']).optional(),
    fallbackOnly: z.boolean().optional(),
    limit: z.number().int().min(1).max(500).default(50),
    offset: z.number().int().min(0).max(10_000_000).default(0),
  })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: 'the start must be before the end',
    path: ['from'],
  });

export const AuditRow = z.object({
  requestId: z.string(),
  ts: z.number(),
  client: z.string().nullable(),
  apiKeyId: z.string().nullable(),
  endpoint: z.string(),
  model: z.string().nullable(),
  route: z.string(),
  fallback: z.boolean(),
  backendModel: z.string().nullable(),
  status: z.number(),
  errorCode: z.string().nullable(),
  ttftMs: z.number().nullable(),
  durationMs: z.number().nullable(),
  promptTokens: z.number().nullable(),
  completionTokens: z.number().nullable(),
  streamed: z.boolean(),
  /** Speculative decoding (Orchard's sidecar): tokens proposed and accepted; absent otherwise. */
  specProposed: z.number().optional(),
  specAccepted: z.number().optional(),
});

export const DailyTotalView = z.object({
  day: z.string(),
  requests: z.number(),
  errors: z.number(),
  fallbacks: z.number(),
  promptTokens: z.number(),
  completionTokens: z.number(),
  avgDurationMs: z.number().nullable(),
});

export const auditMethods = {
  'audit.query': method(AuditQuery, z.object({ rows: z.array(AuditRow), total: z.number() })),
  'audit.daily': method(
    z
      .object({
        from: z.number().int().min(0).optional(),
        to: z.number().int().min(0).optional(),
        model: z.string().min(1).max(1024).optional(),
      })
      .strict(),
    z.array(DailyTotalView),
  ),
  /** At most 100 000 rows as CSV (the CLI exports without a cap). */
  'audit.exportCsv': method(AuditQuery, z.object({ csv: z.string(), rows: z.number() })),
} as const;
