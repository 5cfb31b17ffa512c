// Migration 5 on a database holding version-4 data: existing downloads and files keep their values and
// read NULL in the new resume columns.
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test-support/tmp.ts';
import { openDatabase, schemaVersion } from '../index.ts';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir();
});
afterEach(() => tmp.cleanup());

it('adds the resume columns to v4 downloads without touching their data', () => {
  const file = path.join(tmp.dir, 'o.db');
  const old = openDatabase(file, { migrateTo: 4 });
  old
    .prepare(
      "INSERT INTO downloads (id, repo_id, revision, status, done_bytes, created_at, updated_at) VALUES ('d', 'o/m', 'main', 'paused', 7, 1, 1)",
    )
    .run();
  old
    .prepare(
      "INSERT INTO download_files (download_id, path, size, done_bytes, status) VALUES ('d', 'a.bin', 10, 7, 'running')",
    )
    .run();
  old.close();

  const db = openDatabase(file);
  expect(schemaVersion(db)).toBeGreaterThanOrEqual(5);
  expect(db.prepare('SELECT status, done_bytes, commit_sha FROM downloads').get()).toEqual({
    status: 'paused',
    done_bytes: 7,
    commit_sha: null,
  });
  expect(db.prepare('SELECT path, done_bytes, blob, ranges FROM download_files').get()).toEqual({
    path: 'a.bin',
    done_bytes: 7,
    blob: null,
    ranges: null,
  });
  db.prepare("UPDATE download_files SET ranges = '[[0,10,7]]', blob = 'abc'").run();
  db.close();
});
