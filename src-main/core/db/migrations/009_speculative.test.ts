// Migration 9 on a database holding version-8 data: existing audit rows keep their values and read
// null for the new speculative counts, which new rows can fill in.
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test-support/tmp.ts';
import { openDatabase, schemaVersion } from '../index.ts';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir();
});
afterEach(() => tmp.cleanup());

it('adds nullable spec_proposed and spec_accepted to audit_log, old rows untouched', () => {
  const file = path.join(tmp.dir, 'o.db');
  const old = openDatabase(file, { migrateTo: 8 });
  old
    .prepare("INSERT INTO audit_log (ts, api, route, status) VALUES (5, '/v1/models', 'none', 200)")
    .run();
  old.close();

  const db = openDatabase(file);
  expect(schemaVersion(db)).toBeGreaterThanOrEqual(9);
  expect(db.prepare('SELECT ts, api, spec_proposed, spec_accepted FROM audit_log').get()).toEqual({
    ts: 5,
    api: '/v1/models',
    spec_proposed: null,
    spec_accepted: null,
  });
  db.prepare(
    "INSERT INTO audit_log (ts, api, route, status, spec_proposed, spec_accepted) VALUES (6, '/v1/chat/completions', 'local:m', 200, 40, 31)",
  ).run();
  expect(
    db.prepare('SELECT spec_proposed, spec_accepted FROM audit_log WHERE ts = 6').get(),
  ).toEqual({ spec_proposed: 40, spec_accepted: 31 });
  db.close();
});
