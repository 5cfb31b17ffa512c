// Migration 7 on a database holding version-6 data: earlier tables are untouched, and a stored response's
// items go with it when the response is deleted.
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test-support/tmp.ts';
import { openDatabase, schemaVersion } from '../index.ts';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir();
});
afterEach(() => tmp.cleanup());

it('adds the responses tables, whose items are deleted with their response', () => {
  const file = path.join(tmp.dir, 'o.db');
  const old = openDatabase(file, { migrateTo: 6 });
  old
    .prepare("INSERT INTO audit_log (ts, api, route, status) VALUES (5, '/v1/models', 'none', 200)")
    .run();
  old.close();

  const db = openDatabase(file);
  expect(schemaVersion(db)).toBeGreaterThanOrEqual(7);
  expect(db.prepare('SELECT ts, api FROM audit_log').get()).toEqual({ ts: 5, api: '/v1/models' });
  db.prepare("INSERT INTO responses (id, created_at, body) VALUES ('resp_1', 1, '{}')").run();
  db.prepare(
    "INSERT INTO response_items (response_id, position, kind, item_id, body) VALUES ('resp_1', 0, 'input', 'msg_1', '{}')",
  ).run();
  expect(() =>
    db
      .prepare(
        "INSERT INTO response_items (response_id, position, kind, item_id, body) VALUES ('resp_1', 0, 'other', 'x', '{}')",
      )
      .run(),
  ).toThrow();
  db.prepare("DELETE FROM responses WHERE id = 'resp_1'").run();
  expect(db.prepare('SELECT COUNT(*) AS n FROM response_items').get()).toEqual({ n: 0 });
  db.close();
});
