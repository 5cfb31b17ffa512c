// DownloadsState against an in-memory job table: listing, pulling, the job actions, and the live
// progress and state events (speed and time left derived from progress).
import { beforeEach, describe, expect, it } from 'vitest';
import { appWith, FakeCore, settle } from '../../../test/fakeCore.ts';
import { download } from '../../../test/fixtures.ts';
import { DownloadsState, type Download } from './downloads.svelte.ts';

/** Core's job table: actions change a job's status and return it, as the download manager does. */
function coreWith(jobs: Download[]): { core: FakeCore; jobs: Map<string, Download> } {
  const table = new Map(jobs.map((j) => [j.id, j]));
  const find = (id: string) => {
    const j = table.get(id);
    if (!j) throw new Error(`no download ${id}`);
    return j;
  };
  const setStatus = (id: string, s: Download['status']) => {
    const j = { ...find(id), status: s };
    table.set(id, j);
    return j;
  };
  const core = new FakeCore()
    .answer('downloads.list', () => [...table.values()])
    .answer('downloads.get', ({ id }) => find(id))
    .answer('downloads.pull', ({ repoId }) => {
      const j = download(`d${table.size + 1}`, { repoId, status: 'queued' });
      table.set(j.id, j);
      return j;
    })
    .answer('downloads.pause', ({ id }) => setStatus(id, 'paused'))
    .answer('downloads.resume', ({ id }) => setStatus(id, 'queued'))
    .answer('downloads.cancel', ({ id }) => setStatus(id, 'cancelled'));
  return { core, jobs: table };
}

describe('DownloadsState', () => {
  let core: FakeCore;
  let table: Map<string, Download>;
  let state: DownloadsState;

  beforeEach(async () => {
    ({ core, jobs: table } = coreWith([download('d1'), download('d2', { status: 'done' })]));
    state = new DownloadsState(appWith(core));
    await state.refresh();
  });

  it('lists every job core has', () => {
    expect(state.jobs.map((j) => [j.id, j.status])).toEqual([
      ['d1', 'running'],
      ['d2', 'done'],
    ]);
    expect(state.error).toBeNull();
  });

  it('shows a failed listing, and clears the message once a listing works', async () => {
    core.fail('downloads.list', 'database is locked');
    await state.refresh();
    expect(state.error).toBe('database is locked');
    expect(state.jobs).toHaveLength(2);
    core.answer('downloads.list', () => [download('d1')]);
    await state.refresh();
    expect(state.error).toBeNull();
    expect(state.jobs.map((j) => j.id)).toEqual(['d1']);
  });

  it('puts a new pull first and returns it', async () => {
    const d = await state.pull('org/new');
    expect(d?.repoId).toBe('org/new');
    expect(state.jobs.map((j) => j.repoId)[0]).toBe('org/new');
    expect(state.jobs).toHaveLength(3);
  });

  it('reports a refused pull without touching the list', async () => {
    core.fail('downloads.pull', 'repoId: expected a repo id like org/name', 'invalid_params');
    expect(await state.pull('nope')).toBeNull();
    expect(state.error).toBe('repoId: expected a repo id like org/name');
    expect(state.jobs).toHaveLength(2);
  });

  it('replaces a job in place with what each action returns', async () => {
    await state.pause('d1');
    expect(state.jobs.map((j) => j.status)).toEqual(['paused', 'done']);
    await state.resume('d1');
    expect(state.jobs[0]?.status).toBe('queued');
    await state.cancel('d1');
    expect(state.jobs[0]?.status).toBe('cancelled');
    expect(core.inputs('downloads.cancel')).toEqual([{ id: 'd1' }]);
  });

  it('keeps the job as it was when an action fails', async () => {
    core.fail('downloads.pause', 'download d1 is done', 'conflict');
    await state.pause('d1');
    expect(state.error).toBe('download d1 is done');
    expect(state.jobs[0]?.status).toBe('running');
  });

  it('applies progress events: bytes, speed and the time left', () => {
    core.emit('downloadProgress', {
      id: 'd1',
      repoId: 'org/d1',
      status: 'running',
      doneBytes: 400,
      totalBytes: 1000,
      bytesPerSecond: 200,
    });
    const j = state.jobs[0]!;
    expect([j.doneBytes, j.totalBytes, j.speedBps, j.etaSeconds]).toEqual([400, 1000, 200, 3]);
  });

  it('has no time left to show while nothing flows or the size is unknown', () => {
    core.emit('downloadProgress', {
      id: 'd1',
      repoId: 'org/d1',
      status: 'running',
      doneBytes: 500,
      totalBytes: null,
      bytesPerSecond: null,
    });
    const j = state.jobs[0]!;
    expect([j.doneBytes, j.totalBytes, j.speedBps, j.etaSeconds]).toEqual([500, 1000, 0, null]);
  });

  it('fetches a job it hears of for the first time', async () => {
    table.set('d9', download('d9', { repoId: 'org/cli-pull', doneBytes: 10 }));
    core.emit('downloadProgress', {
      id: 'd9',
      repoId: 'org/cli-pull',
      status: 'running',
      doneBytes: 10,
      totalBytes: 1000,
      bytesPerSecond: 5,
    });
    await settle();
    expect(state.jobs[0]?.repoId).toBe('org/cli-pull');
    expect(core.inputs('downloads.get')).toEqual([{ id: 'd9' }]);
  });

  it('rereads a job when its state changes, and the whole list if that job is gone', async () => {
    table.set('d1', download('d1', { status: 'failed', error: 'disk full' }));
    core.emit('downloadState', {
      id: 'd1',
      repoId: 'org/d1',
      status: 'failed',
      error: 'disk full',
    });
    await settle();
    expect(state.jobs[0]).toMatchObject({ status: 'failed', error: 'disk full' });

    table.delete('d2');
    core.emit('downloadState', { id: 'd2', repoId: 'org/d2', status: 'cancelled', error: null });
    await settle();
    expect(state.jobs.map((j) => j.id)).toEqual(['d1']);
  });
});
