// LogsState against an in-memory audit table: filters checked before they are sent, paging, daily
// totals for the same filters, CSV export of what is shown, and the app's log lines by level.
import { beforeEach, describe, expect, it } from 'vitest';
import { appWith, FakeCore } from '../../../test/fakeCore.ts';
import { LogsState, PAGE_SIZE, type AuditRow } from './logs.svelte.ts';

function row(i: number, over: Partial<AuditRow> = {}): AuditRow {
  return {
    requestId: `r${i}`,
    ts: 1_700_000_000_000 + i,
    client: null,
    apiKeyId: null,
    endpoint: '/v1/chat/completions',
    model: i % 2 ? 'org/odd' : 'org/even',
    route: 'local:org/m',
    fallback: false,
    backendModel: null,
    status: 200,
    errorCode: null,
    ttftMs: 10,
    durationMs: 100,
    promptTokens: 5,
    completionTokens: 7,
    streamed: true,
    ...over,
  };
}

describe('LogsState', () => {
  let core: FakeCore;
  let state: LogsState;
  const rows = Array.from({ length: 60 }, (_, i) => row(i));

  beforeEach(() => {
    core = new FakeCore()
      .answer('audit.query', ({ model, limit = 50, offset = 0 }) => {
        const hits = rows.filter((r) => !model || r.model === model);
        return { rows: hits.slice(offset, offset + limit), total: hits.length };
      })
      .answer('audit.daily', ({ model }) => [
        {
          day: '2023-11-14',
          requests: rows.filter((r) => !model || r.model === model).length,
          errors: 0,
          fallbacks: 0,
          promptTokens: 0,
          completionTokens: 0,
          avgDurationMs: null,
        },
      ])
      .answer('audit.exportCsv', ({ model }) => ({ csv: `model\n${model ?? '*'}\n`, rows: 1 }))
      .answer('logs.tail', ({ level }) => [
        { time: 't', level: level ?? 'info', component: 'main', message: 'hello', meta: null },
      ]);
    state = new LogsState(appWith(core));
  });

  it('shows one page of rows with the total and the daily totals for the same filters', async () => {
    expect(await state.query({ model: 'org/odd' }, PAGE_SIZE)).toEqual({});
    expect(state.rows.map((r) => r.requestId)).toEqual(
      rows
        .filter((r) => r.model === 'org/odd')
        .slice(PAGE_SIZE, 2 * PAGE_SIZE)
        .map((r) => r.requestId),
    );
    expect(state.total).toBe(30);
    expect(state.offset).toBe(PAGE_SIZE);
    expect(state.filters).toEqual({ model: 'org/odd' });
    expect(state.daily[0]?.requests).toBe(30);
    expect(core.inputs('audit.query')).toEqual([
      { model: 'org/odd', limit: PAGE_SIZE, offset: PAGE_SIZE },
    ]);
    expect(core.inputs('audit.daily')).toEqual([
      { from: undefined, to: undefined, model: 'org/odd' },
    ]);
  });

  it('answers filters that cannot be right field by field, without asking core', async () => {
    expect(await state.query({ from: 2000, to: 1000 })).toEqual({
      from: 'the start must be before the end',
    });
    expect(core.calls).toEqual([]);
  });

  it('keeps the rows shown when a query fails, and says why', async () => {
    await state.query({});
    core.fail('audit.daily', 'database is locked');
    expect(await state.query({ model: 'org/odd' })).toEqual({});
    expect(state.error).toBe('database is locked');
    expect(state.filters).toEqual({});
    expect(state.rows).toHaveLength(PAGE_SIZE);
    expect(state.total).toBe(60);
  });

  it('exports what the filters select', async () => {
    await state.query({ model: 'org/even' });
    expect(await state.exportCsv()).toEqual({ csv: 'model\norg/even\n', rows: 1 });
    core.fail('audit.exportCsv', 'too many rows');
    expect(await state.exportCsv()).toBeNull();
    expect(state.error).toBe('too many rows');
  });

  it('tails the log at the chosen level', async () => {
    state.level = 'warn';
    await state.tail();
    expect(state.lines.map((l) => l.level)).toEqual(['warn']);
    expect(core.inputs('logs.tail')).toEqual([{ level: 'warn', limit: 300 }]);
    core.fail('logs.tail', 'no log folder');
    await state.tail();
    expect(state.error).toBe('no log folder');
    expect(state.lines).toHaveLength(1);
  });
});
