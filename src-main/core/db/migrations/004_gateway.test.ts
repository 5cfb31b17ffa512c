// Migration 4 on a database holding version-3 data: old audit rows keep their values and read the
// new columns' defaults; the api_keys table exists and is usable.
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test-support/tmp.ts';
import { openDatabase, schemaVersion } from '../index.ts';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir();
});
afterEach(() => tmp.cleanup());

it('upgrades v3 audit rows to the gateway columns with safe defaults', () => {
  const file = path.join(tmp.dir, 'o.db');
  const old = openDatabase(file, { migrateTo: 3 });
  old
    .prepare("INSERT INTO audit_log (ts, api, route, status) VALUES (5, '/v1/models', 'none', 200)")
    .run();
  old.close();

  const db = openDatabase(file);
  expect(schemaVersion(db)).toBeGreaterThanOrEqual(4);
  expect(
    db
      .prepare(
        'SELECT ts, fallback, streamed, request_id, ttft_ms, api_key_id, backend_model FROM audit_log',
      )
      .get(),
  ).toEqual({
    ts: 5,
    fallback: 0,
    streamed: 0,
    request_id: null,
    ttft_ms: null,
    api_key_id: null,
    backend_model: null,
  });
  db.prepare(
    "INSERT INTO api_keys (id, name, salt, hash, created_at) VALUES ('k', 'n', x'01', x'02', 1)",
  ).run();
  expect(() =>
    db.prepare("INSERT INTO api_keys (id, name, created_at) VALUES ('k2', 'n', 1)").run(),
  ).toThrow(/NOT NULL/);
  db.close();
});
