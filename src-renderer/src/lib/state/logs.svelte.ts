// Logs screen state: the gateway's audit table (filters, paging, CSV export, daily totals) and the app's own
// log lines with a level filter.
import { AuditQuery } from '#shared/contract/audit.ts';
import type { MethodInput, MethodResult } from '#shared/contract/index.ts';
import type { AppState } from './app.svelte.ts';
import { errorMessage, issuesByField, type FieldErrors } from '../ui/validation.ts';

export type AuditRow = MethodResult<'audit.query'>['rows'][number];
export type DailyTotal = MethodResult<'audit.daily'>[number];
export type LogLine = MethodResult<'logs.tail'>[number];
export type AuditFilters = Omit<MethodInput<'audit.query'>, 'limit' | 'offset'>;

export const PAGE_SIZE = 25;

export class LogsState {
  readonly app: AppState;
  filters = $state<AuditFilters>({});
  rows = $state<AuditRow[]>([]);
  total = $state(0);
  offset = $state(0);
  daily = $state<DailyTotal[]>([]);
  lines = $state<LogLine[]>([]);
  level = $state<'error' | 'warn' | 'info' | 'debug'>('info');
  error = $state<string | null>(null);

  constructor(app: AppState) {
    this.app = app;
  }

  /** Applies filters (validated with the contract's schema); field errors come back for the form. */
  async query(filters: AuditFilters, offset = 0): Promise<FieldErrors> {
    const parsed = AuditQuery.safeParse({ ...filters, limit: PAGE_SIZE, offset });
    if (!parsed.success) return issuesByField(parsed.error);
    try {
      const [page, daily] = await Promise.all([
        this.app.api.call('audit.query', parsed.data),
        this.app.api.call('audit.daily', {
          from: filters.from,
          to: filters.to,
          model: filters.model,
        }),
      ]);
      this.filters = filters;
      this.rows = page.rows;
      this.total = page.total;
      this.offset = offset;
      this.daily = daily;
      this.error = null;
      return {};
    } catch (e) {
      this.error = errorMessage(e);
      return {};
    }
  }

  async exportCsv(): Promise<{ csv: string; rows: number } | null> {
    try {
      return await this.app.api.call('audit.exportCsv', { ...this.filters });
    } catch (e) {
      this.error = errorMessage(e);
      return null;
    }
  }

  async tail(): Promise<void> {
    try {
      this.lines = await this.app.api.call('logs.tail', { level: this.level, limit: 300 });
    } catch (e) {
      this.error = errorMessage(e);
    }
  }
}
