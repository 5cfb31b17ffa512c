// Gateway API keys: created with a random secret shown once, stored as sha256(salt || secret) with a
// per-key salt, looked up by the id embedded in the key and compared in constant time.
import crypto from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { CoreError } from '../../errors/index.ts';

export const KEY_PREFIX = 'ork';

export interface ApiKeyInfo {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface CreatedKey extends ApiKeyInfo {
  /** The full key. Returned once; only its salted hash is kept. */
  key: string;
}

interface Raw {
  id: string;
  name: string;
  salt: Buffer;
  hash: Buffer;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const info = (r: Raw): ApiKeyInfo => ({
  id: r.id,
  name: r.name,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

function digest(salt: Buffer, secret: string): Buffer {
  return crypto.createHash('sha256').update(salt).update(secret, 'utf8').digest();
}

/** `ork_<id>_<secret>`: id in clear for lookup, 256-bit secret (so a fast salted hash suffices). */
function parseKey(key: string): { id: string; secret: string } | null {
  const m = /^ork_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/.exec(key);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

export interface ApiKeys {
  create(name: string): CreatedKey;
  list(): ApiKeyInfo[];
  activeCount(): number;
  revoke(id: string): void;
  /** The key's id when it is valid and not revoked, else null. */
  verify(key: string): string | null;
}

export function apiKeys(db: Database, now: () => number = Date.now): ApiKeys {
  const insert = db.prepare(
    'INSERT INTO api_keys (id, name, salt, hash, created_at) VALUES (@id, @name, @salt, @hash, @created_at)',
  );
  const get = db.prepare<[string], Raw>('SELECT * FROM api_keys WHERE id = ?');
  const list = db.prepare<[], Raw>('SELECT * FROM api_keys ORDER BY created_at, id');
  const active = db.prepare<[], { n: number }>(
    'SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL',
  );
  const revoke = db.prepare<[number, string]>(
    'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
  );
  const touch = db.prepare<[number, string]>('UPDATE api_keys SET last_used_at = ? WHERE id = ?');
  // last_used_at is advisory; writing it on every request would put a write on the hot path.
  const lastTouch = new Map<string, number>();

  return {
    create(name) {
      const clean = name.trim();
      if (clean === '' || clean.length > 100)
        throw new CoreError('validation', 'a key name must be 1-100 characters');
      const id = crypto
        .randomBytes(9)
        .toString('base64url')
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '0')
        .slice(0, 12);
      const secret = crypto.randomBytes(32).toString('base64url');
      const salt = crypto.randomBytes(16);
      const createdAt = now();
      insert.run({ id, name: clean, salt, hash: digest(salt, secret), created_at: createdAt });
      return {
        id,
        name: clean,
        createdAt,
        lastUsedAt: null,
        revokedAt: null,
        key: `${KEY_PREFIX}_${id}_${secret}`,
      };
    },
    list: () => list.all().map(info),
    activeCount: () => active.get()!.n,
    revoke(id) {
      if (!get.get(id)) throw new CoreError('not_found', `no API key with id '${id}'`);
      revoke.run(now(), id);
    },
    verify(key) {
      const parsed = parseKey(key);
      if (!parsed) return null;
      const row = get.get(parsed.id);
      if (!row || row.revoked_at !== null) return null;
      const ok = crypto.timingSafeEqual(digest(row.salt, parsed.secret), row.hash);
      if (!ok) return null;
      const t = now();
      if ((lastTouch.get(row.id) ?? 0) < t - 60_000) {
        lastTouch.set(row.id, t);
        touch.run(t, row.id);
      }
      return row.id;
    },
  };
}
