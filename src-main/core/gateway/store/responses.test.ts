// The stored Responses objects on a real database: save and read back, the previous_response_id chain
// as history, items by id, delete with its items, and the retention that prunes on write.
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test-support/tmp.ts';
import { openDatabase, type Database } from '../../db/index.ts';
import { responsesStore } from './responses.ts';

let tmp: ReturnType<typeof makeTempDir>;
let db: Database;
let clock = 0;
beforeEach(() => {
  tmp = makeTempDir();
  db = openDatabase(path.join(tmp.dir, 'o.db'));
  clock = 1_000_000_000_000;
});
afterEach(() => {
  db.close();
  tmp.cleanup();
});

const msg = (id: string, role: string, text: string) => ({
  id,
  type: 'message',
  role,
  content: [{ type: role === 'user' ? 'input_text' : 'output_text', text }],
});

it('keeps a chain of responses and gives back its history oldest first', () => {
  const s = responsesStore(db, () => clock);
  const t = Math.floor(clock / 1000);
  s.save(
    { id: 'resp_1', createdAt: t, previousResponseId: null, body: { id: 'resp_1' } },
    [msg('msg_u1', 'user', 'one')],
    [msg('msg_a1', 'assistant', 'One.')],
  );
  s.save(
    { id: 'resp_2', createdAt: t, previousResponseId: 'resp_1', body: { id: 'resp_2' } },
    [msg('msg_u2', 'user', 'two')],
    [msg('msg_a2', 'assistant', 'Two.')],
  );
  expect(s.get('resp_2')).toEqual({
    id: 'resp_2',
    createdAt: t,
    previousResponseId: 'resp_1',
    body: { id: 'resp_2' },
  });
  expect(s.history('resp_2')!.map((i) => i.id)).toEqual(['msg_u1', 'msg_a1', 'msg_u2', 'msg_a2']);
  expect(s.inputItems('resp_2').map((i) => i.id)).toEqual(['msg_u2']);
  expect(s.item('msg_a1')).toEqual(msg('msg_a1', 'assistant', 'One.'));
  expect(s.history('resp_x')).toBeNull();

  // An earlier link gone: the history starts after it.
  expect(s.delete('resp_1')).toBe(true);
  expect(s.delete('resp_1')).toBe(false);
  expect(s.history('resp_2')!.map((i) => i.id)).toEqual(['msg_u2', 'msg_a2']);
  expect(s.item('msg_a1')).toBeNull();
});

it('prunes responses older than the retention when it writes', () => {
  const s = responsesStore(db, () => clock, 30);
  const day = 86400;
  const t = Math.floor(clock / 1000);
  s.save({ id: 'old', createdAt: t - 31 * day, previousResponseId: null, body: {} }, [], []);
  expect(s.get('old')).not.toBeNull();
  s.save({ id: 'recent', createdAt: t - 29 * day, previousResponseId: null, body: {} }, [], []);
  expect(s.get('old')).toBeNull();
  expect(s.get('recent')).not.toBeNull();
});
