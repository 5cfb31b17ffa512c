// Start-up integrity: a corrupt database is moved aside (kept), replaced, and reported.
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoreError } from '../errors/index.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { openDatabase, schemaVersion, MIGRATIONS, type CorruptionEvent } from './index.ts';

describe('openDatabase integrity check', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it('moves a file that is not a database aside and starts fresh', () => {
    const file = path.join(tmp.dir, 'orchard.db');
    fs.writeFileSync(file, 'this is definitely not sqlite'.repeat(200));
    const events: CorruptionEvent[] = [];
    const db = openDatabase(file, { onCorrupt: (e) => events.push(e) });
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    db.close();
    expect(events).toHaveLength(1);
    expect(events[0]!.path).toBe(file);
    expect(events[0]!.movedTo).toMatch(/orchard\.db\.corrupt-/);
    expect(fs.readFileSync(events[0]!.movedTo, 'utf8')).toContain('definitely not sqlite');
  });

  it('moves a database with damaged pages aside', () => {
    const file = path.join(tmp.dir, 'orchard.db');
    const raw = new BetterSqlite3(file);
    raw.exec('CREATE TABLE t (x TEXT); CREATE INDEX t_x ON t(x);');
    const ins = raw.prepare('INSERT INTO t VALUES (?)');
    raw.transaction(() => {
      for (let i = 0; i < 2000; i++) ins.run(`row-${i}-${'y'.repeat(50)}`);
    })();
    raw.close();
    // Overwrite a stretch of pages after the header: the file still opens but quick_check fails.
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(4096 * 4, 0xab), 0, 4096 * 4, 4096 * 3);
    fs.closeSync(fd);
    const events: CorruptionEvent[] = [];
    const db = openDatabase(file, { onCorrupt: (e) => events.push(e) });
    db.close();
    expect(events).toHaveLength(1);
    expect(fs.existsSync(events[0]!.movedTo)).toBe(true);
  });

  it('leaves a database it cannot read now where it is: locked by another process', () => {
    const file = path.join(tmp.dir, 'orchard.db');
    openDatabase(file).close();
    const holder = new BetterSqlite3(file);
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.exec('BEGIN EXCLUSIVE; CREATE TABLE held (x); COMMIT;'); // takes the lock and keeps it
    const events: CorruptionEvent[] = [];
    let error: unknown;
    try {
      openDatabase(file, { onCorrupt: (e) => events.push(e) }).close();
    } catch (e) {
      error = e;
    }
    holder.close();
    expect(error).toBeInstanceOf(CoreError);
    expect((error as CoreError).code).toBe('conflict');
    expect((error as CoreError).message).toMatch(/could not be checked .*locked.*left as it is/);
    expect(events).toEqual([]);
    expect(fs.readdirSync(tmp.dir).filter((f) => f.includes('corrupt'))).toEqual([]);
    // Once the other process lets go, it opens with everything in it.
    const db = openDatabase(file);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'held'").get()).toBeTruthy();
    db.close();
  }, 20_000);

  it('leaves a healthy database alone', () => {
    const file = path.join(tmp.dir, 'orchard.db');
    openDatabase(file).close();
    const events: CorruptionEvent[] = [];
    openDatabase(file, { onCorrupt: (e) => events.push(e) }).close();
    expect(events).toEqual([]);
    expect(fs.readdirSync(tmp.dir).filter((f) => f.includes('corrupt'))).toEqual([]);
  });
});
