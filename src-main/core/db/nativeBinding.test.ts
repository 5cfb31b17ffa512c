// SQLite's addon for another runtime: scripts/native-addon.mjs builds one (here for this very Node, the
// one target this machine can run; Electron's differs only in where the headers come from), and an
// addon that cannot load is reported as such, never taken for a corrupt database.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../config/index.ts';
import { CoreError } from '../errors/index.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { conversationsStore } from '../conversations/index.ts';
import { openDatabase } from './index.ts';

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'native-addon.mjs');

function buildAddon(...args: string[]) {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', cwd: REPO_ROOT });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr };
}

const conversation = (title: string) => ({
  id: 'c1',
  title,
  profileId: null,
  createdAt: 1,
  updatedAt: 1,
});

describe('native addon for another runtime', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    tmp = makeTempDir();
  });
  afterAll(() => tmp.cleanup());

  it('builds better-sqlite3 into its own folder, and the database opens with it', () => {
    const into = path.join(tmp.dir, 'native');
    const first = buildAddon('node', process.versions.node, '--from-source', '--into', into);
    expect(first.status, first.err).toBe(0);
    expect(first.err).toContain('Building better-sqlite3');
    const addon = first.out.split('\n').at(-1)!;
    expect(addon).toBe(
      path.join(
        into,
        `node-${process.versions.node}-${process.platform}-${process.arch}`,
        'better_sqlite3.node',
      ),
    );
    expect(fs.statSync(addon).size).toBeGreaterThan(100_000);
    // Nothing of the build is left beside the addon, and node_modules' own build is untouched.
    expect(fs.readdirSync(path.dirname(addon))).toEqual(['better_sqlite3.node']);
    const scratch = path.join(REPO_ROOT, 'node_modules', '.orchard-native');
    expect(fs.readdirSync(scratch).filter((n) => n.startsWith('.build-'))).toEqual([]);

    const file = path.join(tmp.dir, 'with-addon.db');
    const db = openDatabase(file, { nativeBinding: addon });
    conversationsStore(db).insert(conversation('built here'));
    db.close();
    const again = openDatabase(file, { nativeBinding: addon });
    expect(conversationsStore(again).get('c1')?.title).toBe('built here');
    again.close();

    // A second run finds it built.
    const second = buildAddon('node', process.versions.node, '--from-source', '--into', into);
    expect(second.status).toBe(0);
    expect(second.out).toBe(addon);
    expect(second.err).not.toContain('Building');
  }, 600_000);

  it('refuses an addon that cannot load, leaving the database where it is', () => {
    const file = path.join(tmp.dir, 'kept.db');
    const db = openDatabase(file);
    conversationsStore(db).insert(conversation('keep me'));
    db.close();
    const before = fs.readFileSync(file);
    const listing = fs.readdirSync(tmp.dir).sort();

    const notAnAddon = path.join(tmp.dir, 'fake.node');
    fs.writeFileSync(notAnAddon, 'not a shared object');
    for (const nativeBinding of [notAnAddon, path.join(tmp.dir, 'missing.node')]) {
      let error: unknown;
      try {
        openDatabase(file, { nativeBinding }).close();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CoreError);
      expect((error as CoreError).code).toBe('internal');
      expect((error as CoreError).message).toContain(`addon ${nativeBinding} could not be loaded`);
      expect((error as CoreError).message).toContain('scripts/native-addon.mjs');
    }
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(tmp.dir).sort()).toEqual([...listing, 'fake.node'].sort());
  });

  it('answers a wrong command line with its usage', () => {
    const r = buildAddon('deno');
    expect(r.status).toBe(2);
    expect(r.err).toContain('usage: node scripts/native-addon.mjs');
  });
});
