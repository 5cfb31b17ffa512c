// `orchard logs [--follow] [--json] [--model M] [--status ok|error] [--limit N]`: the gateway's audit log
// (metadata only: the audit never holds prompt or completion text) read through serve's `audit.query`.
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import type { Config } from '../config/index.ts';
import { CoreError } from '../errors/index.ts';
import type { AuditRow } from '#shared/contract/audit.ts';
import { connectRpc, type RpcClient } from '../rpc/index.ts';
import { requireServe, rpcUrl } from './serveFile.ts';

export const LOGS_USAGE = `  logs [--follow] [--model M] [--status ok|error] [--limit N]
                                The request log (time, endpoint, model, status, tokens, latency, route);
                                --json: a JSON array, or one JSON object per line with --follow`;

type Row = z.infer<typeof AuditRow>;

export interface LogsIo {
  out(s: string): void;
  onInterrupt?(fn: () => void): () => void;
}

/** How often --follow asks serve for new rows (the audit log itself is written once a second). */
const FOLLOW_POLL_MS = 1000;
/** The newest rows --follow looks at each time: a request finishing late (a long stream) is still seen. */
const FOLLOW_WINDOW = 500;

const pad2 = (n: number): string => String(n).padStart(2, '0');
function localTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

function latency(ms: number | null): string {
  if (ms === null) return '-';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function tokens(r: Row): string {
  if (r.promptTokens === null && r.completionTokens === null) return '-';
  return `${r.promptTokens ?? '-'}→${r.completionTokens ?? '-'}`;
}

function clip(s: string, width: number): string {
  return s.length > width ? `${s.slice(0, width - 1)}…` : s.padEnd(width);
}

const COLUMNS: Array<[string, number, (r: Row) => string]> = [
  ['TIME', 19, (r) => localTime(r.ts)],
  ['ENDPOINT', 20, (r) => r.endpoint],
  ['MODEL', 34, (r) => r.model ?? '-'],
  ['STATUS', 6, (r) => String(r.status)],
  ['TOKENS', 11, tokens],
  ['LATENCY', 9, (r) => latency(r.durationMs)],
  [
    'ROUTE',
    0,
    (r) => `${r.route}${r.fallback ? ' (fallback)' : ''}${r.errorCode ? ` ${r.errorCode}` : ''}`,
  ],
];

export function formatHeader(): string {
  return COLUMNS.map(([h, w]) => (w ? clip(h, w) : h)).join('  ');
}

export function formatRow(r: Row): string {
  return COLUMNS.map(([, w, f]) => (w ? clip(f(r), w) : f(r))).join('  ');
}

export async function runLogs(
  argv: string[],
  ctx: { config: Config; io: LogsIo; json: boolean },
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        follow: { type: 'boolean', short: 'f', default: false },
        json: { type: 'boolean', default: false },
        model: { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
      },
    });
  } catch (e) {
    throw new CoreError('usage', (e as Error).message);
  }
  const o = parsed.values;
  const json = ctx.json || o.json;
  if (o.status !== undefined && o.status !== 'ok' && o.status !== 'error')
    throw new CoreError('usage', '--status must be ok or error');
  const limit = o.limit === undefined ? 20 : Number(o.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500)
    throw new CoreError('usage', '--limit must be 1-500');
  const filter = {
    ...(o.model ? { model: o.model } : {}),
    ...(o.status ? { status: o.status as 'ok' | 'error' } : {}),
  };
  const { io } = ctx;
  const rpc: RpcClient = await connectRpc(rpcUrl(requireServe(ctx.config.serveFile)));
  try {
    // Rows come newest first from serve; they are printed oldest first, as a log reads.
    const query = async (n: number): Promise<Row[]> =>
      (await rpc.call('audit.query', { ...filter, limit: n })).rows;
    if (!o.follow) {
      const rows = (await query(limit)).reverse();
      if (json) io.out(JSON.stringify(rows));
      else if (rows.length === 0) io.out('(no requests logged)');
      else io.out([formatHeader(), ...rows.map(formatRow)].join('\n'));
      return 0;
    }
    const print = (rows: Row[]): void => {
      for (const r of rows) io.out(json ? JSON.stringify(r) : formatRow(r));
    };
    // Rows are told apart by id over the newest FOLLOW_WINDOW: one recorded late (a long stream that
    // started earlier) is printed when it lands.
    const initial = await query(FOLLOW_WINDOW);
    if (!json) io.out(formatHeader());
    print(initial.slice(0, limit).reverse());
    let seen = new Set(initial.map((r) => r.requestId));
    let stopped = false;
    let wake: (() => void) | null = null;
    const unhook = io.onInterrupt?.(() => {
      stopped = true;
      wake?.();
    });
    try {
      while (!stopped) {
        await new Promise<void>((r) => {
          const t = setTimeout(r, FOLLOW_POLL_MS);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
        if (stopped) break;
        const rows = await query(FOLLOW_WINDOW);
        print(rows.filter((r) => !seen.has(r.requestId)).reverse());
        seen = new Set(rows.map((r) => r.requestId));
      }
    } finally {
      unhook?.();
    }
    return 0;
  } finally {
    rpc.close();
  }
}
