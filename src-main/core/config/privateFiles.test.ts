// The user's data is private from its first write under a permissive umask: the data folder, the
// database with its WAL, and the logs; files an older install left readable are tightened.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/open.ts';
import { createLogs } from '../log/index.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { ensurePrivateDir } from './privateFiles.ts';

const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe.skipIf(process.platform === 'win32')('data at rest', () => {
  const tmp = makeTempDir('orchard-private-');
  let umask = 0;
  beforeAll(() => {
    umask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(umask);
    tmp.cleanup();
  });

  it('the data folder is 0700, also when it existed as 0755', () => {
    const dir = path.join(tmp.dir, 'home');
    fs.mkdirSync(dir, { mode: 0o755 });
    ensurePrivateDir(dir);
    expect(mode(dir)).toBe(0o700);
  });

  it('the database and its WAL are 0600 from the first write', () => {
    const file = path.join(tmp.dir, 'fresh', 'orchard.db');
    const db = openDatabase(file);
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    expect(mode(path.dirname(file))).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    expect(mode(`${file}-wal`)).toBe(0o600);
    db.close();
  });

  it('a database an older install left 0644 is tightened', () => {
    const file = path.join(tmp.dir, 'old', 'orchard.db');
    openDatabase(file).close();
    fs.chmodSync(file, 0o644);
    openDatabase(file).close();
    expect(mode(file)).toBe(0o600);
  });

  it('log files are 0600 in a 0700 folder', async () => {
    const dir = path.join(tmp.dir, 'logs');
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'orchard-2020-01-01.log'), '{}\n', { mode: 0o644 });
    const logs = createLogs({ dir });
    logs.main.info('private');
    await logs.close();
    expect(mode(dir)).toBe(0o700);
    const files = fs.readdirSync(dir).filter((n) => n.endsWith('.log'));
    expect(files.length).toBe(2);
    for (const f of files) expect(mode(path.join(dir, f))).toBe(0o600);
  });
});
