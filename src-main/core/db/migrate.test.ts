// Migrations: from an empty file and from every earlier version, data survives each upgrade.
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { MIGRATIONS, migrate, openDatabase, schemaVersion, type Migration } from './index.ts';

const LATEST = MIGRATIONS.length;
const EXPECTED_TABLES = [
  'api_keys',
  'audit_log',
  'conversations',
  'download_files',
  'downloads',
  'mcp_servers',
  'messages',
  'models',
  'profiles',
  'providers',
  'response_items',
  'responses',
  'routing_rules',
  'settings',
];

function tables(db: BetterSqlite3.Database): string[] {
  return (
    db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all() as Array<{ name: string }>
  ).map((r) => r.name);
}

/** Writes one row that only exists from `version` on, to prove later upgrades keep it. */
const SEED: Record<number, (db: BetterSqlite3.Database) => void> = {
  1: (db) =>
    db
      .prepare(
        "INSERT INTO profiles (id, name, model, params, created_at, updated_at) VALUES ('p1','P','m','{}',1,1)",
      )
      .run(),
  2: (db) =>
    db
      .prepare(
        "INSERT INTO routing_rules (id, priority, pattern, target) VALUES ('r1', 1, 'gpt-*', '{}')",
      )
      .run(),
  3: (db) =>
    db.prepare("INSERT INTO models (repo_id, path, added_at) VALUES ('org/m', '/x', 1)").run(),
  4: (db) =>
    db
      .prepare(
        "INSERT INTO api_keys (id, name, salt, hash, created_at) VALUES ('k1', 'K', x'00', x'00', 1)",
      )
      .run(),
};

describe('migrations', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it('are numbered 1..N without gaps', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it('build the full schema from an empty file', () => {
    const db = openDatabase(path.join(tmp.dir, 'a.db'));
    expect(schemaVersion(db)).toBe(LATEST);
    expect(tables(db)).toEqual(EXPECTED_TABLES);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  for (let from = 1; from < LATEST; from++) {
    it(`upgrade from version ${from} to ${LATEST} keeps earlier data`, () => {
      const file = path.join(tmp.dir, `v${from}.db`);
      const old = openDatabase(file, { migrateTo: from });
      expect(schemaVersion(old)).toBe(from);
      for (let v = 1; v <= from; v++) SEED[v]?.(old);
      old.close();

      const db = openDatabase(file);
      expect(schemaVersion(db)).toBe(LATEST);
      expect(tables(db)).toEqual(EXPECTED_TABLES);
      expect(db.prepare('SELECT name FROM profiles').all()).toEqual([{ name: 'P' }]);
      if (from >= 2)
        expect(db.prepare('SELECT id FROM routing_rules').all()).toEqual([{ id: 'r1' }]);
      for (let v = from + 1; v <= LATEST; v++) SEED[v]?.(db); // new tables are usable
      db.close();
    });
  }

  it('re-running on a current database is a no-op', () => {
    const file = path.join(tmp.dir, 'b.db');
    openDatabase(file).close();
    const db = openDatabase(file);
    expect(migrate(db)).toBe(LATEST);
    db.close();
  });

  it('a failing migration rolls back and leaves the previous version', () => {
    const db = new BetterSqlite3(path.join(tmp.dir, 'c.db'));
    const broken: Migration[] = [
      ...MIGRATIONS.slice(0, 1),
      {
        version: 2,
        name: 'broken',
        up(d) {
          d.exec('CREATE TABLE half_done (x INTEGER)');
          d.exec('THIS IS NOT SQL');
        },
      },
    ];
    expect(() => migrate(db, { migrations: broken })).toThrow();
    expect(schemaVersion(db)).toBe(1);
    expect(tables(db)).not.toContain('half_done');
    db.close();
  });

  it('refuses a database from a newer Orchard', () => {
    const file = path.join(tmp.dir, 'd.db');
    const raw = new BetterSqlite3(file);
    raw.pragma(`user_version = ${LATEST + 1}`);
    raw.close();
    expect(() => openDatabase(file)).toThrow(/newer/);
  });
});
