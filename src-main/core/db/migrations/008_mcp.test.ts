// Migration 8 on a database holding version-7 data: earlier tables are untouched, server names are
// unique and the transport and permission are checked by SQLite itself.
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test-support/tmp.ts';
import { openDatabase, schemaVersion } from '../index.ts';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir();
});
afterEach(() => tmp.cleanup());

it('adds mcp_servers with unique names and checked transport and permission', () => {
  const file = path.join(tmp.dir, 'o.db');
  const old = openDatabase(file, { migrateTo: 7 });
  old.prepare("INSERT INTO responses (id, created_at, body) VALUES ('resp_1', 1, '{}')").run();
  old.close();

  const db = openDatabase(file);
  expect(schemaVersion(db)).toBeGreaterThanOrEqual(8);
  expect(db.prepare('SELECT id FROM responses').get()).toEqual({ id: 'resp_1' });
  const insert = db.prepare(
    'INSERT INTO mcp_servers (id, name, transport, permission, created_at) VALUES (?, ?, ?, ?, 1)',
  );
  insert.run('a', 'files', 'stdio', 'ask');
  expect(() => insert.run('b', 'files', 'http', 'ask')).toThrow(/UNIQUE/);
  expect(() => insert.run('c', 'other', 'sse', 'ask')).toThrow(/CHECK/);
  expect(() => insert.run('d', 'third', 'http', 'never')).toThrow(/CHECK/);
  expect(
    db.prepare("SELECT args, env_keys, enabled, timeout_ms FROM mcp_servers WHERE id = 'a'").get(),
  ).toEqual({
    args: '[]',
    env_keys: '[]',
    enabled: 1,
    timeout_ms: 60000,
  });
  db.close();
});
