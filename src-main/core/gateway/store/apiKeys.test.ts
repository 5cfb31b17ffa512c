// API keys on a real SQLite file: shown once, stored salted and hashed, verified, revoked.
import path from 'node:path';
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../db/index.ts';
import { makeTempDir } from '../../../../test-support/tmp.ts';
import { apiKeys } from './apiKeys.ts';

describe('api keys', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let db: Database;
  let file: string;
  beforeEach(() => {
    tmp = makeTempDir();
    file = path.join(tmp.dir, 'o.db');
    db = openDatabase(file);
  });
  afterEach(() => {
    db.close();
    tmp.cleanup();
  });

  it('creates a key that verifies, and stores neither it nor its secret', () => {
    const keys = apiKeys(db);
    const k = keys.create('editor');
    expect(k.key).toMatch(/^ork_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(keys.verify(k.key)).toBe(k.id);
    expect(keys.list()).toEqual([
      {
        id: k.id,
        name: 'editor',
        createdAt: k.createdAt,
        lastUsedAt: expect.any(Number),
        revokedAt: null,
      },
    ]);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const secret = k.key.split('_').slice(2).join('_');
    const bytes = Buffer.concat([
      fs.readFileSync(file),
      fs.existsSync(file + '-wal') ? fs.readFileSync(file + '-wal') : Buffer.alloc(0),
    ]);
    expect(bytes.includes(Buffer.from(secret))).toBe(false);
    expect(bytes.includes(Buffer.from(k.key))).toBe(false);
  });

  it('two keys have different salts, so equal hashes never reveal equal secrets', () => {
    const keys = apiKeys(db);
    keys.create('a');
    keys.create('b');
    const rows = db.prepare('SELECT salt, hash FROM api_keys').all() as Array<{
      salt: Buffer;
      hash: Buffer;
    }>;
    expect(rows[0]!.salt.equals(rows[1]!.salt)).toBe(false);
    expect(rows[0]!.hash.length).toBe(32);
  });

  it('refuses wrong, malformed, foreign and revoked keys', () => {
    const keys = apiKeys(db);
    const k = keys.create('x');
    const tampered = k.key.slice(0, -1) + (k.key.endsWith('A') ? 'B' : 'A');
    expect(keys.verify(tampered)).toBeNull();
    expect(keys.verify('sk-anything')).toBeNull();
    expect(keys.verify('')).toBeNull();
    expect(keys.verify(`ork_zzzzzzzzzzzz_${'a'.repeat(43)}`)).toBeNull();
    expect(keys.activeCount()).toBe(1);
    keys.revoke(k.id);
    expect(keys.verify(k.key)).toBeNull();
    expect(keys.activeCount()).toBe(0);
    expect(keys.list()[0]!.revokedAt).not.toBeNull();
    expect(() => keys.revoke('nope')).toThrow(/no API key/);
    expect(() => keys.create('  ')).toThrow(/1-100/);
  });
});
