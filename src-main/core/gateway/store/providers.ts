// Providers (cloud or remote APIs). The API key is encrypted before it reaches this table
// and decrypted only on explicit request; the plaintext is never stored.
import type { Database } from 'better-sqlite3';
import type { Cipher } from '../../db/index.ts';
import type { ProviderFormat, ProviderInfo } from '../types.ts';

export interface ProviderRow extends ProviderInfo {
  createdAt: number;
}
interface Raw {
  id: string;
  name: string;
  format: ProviderFormat;
  base_url: string;
  models: string;
  api_key_ciphertext: Buffer | null;
  created_at: number;
}
const fromRaw = (r: Raw): ProviderRow => ({
  id: r.id,
  name: r.name,
  format: r.format,
  baseUrl: r.base_url,
  models: JSON.parse(r.models) as string[],
  hasApiKey: r.api_key_ciphertext !== null,
  createdAt: r.created_at,
});

export interface ProvidersStore {
  list(): ProviderRow[];
  get(id: string): ProviderRow | undefined;
  /** apiKey: plaintext to encrypt, or null for none. */
  upsert(p: Omit<ProviderRow, 'hasApiKey'> & { apiKey: string | null }): void;
  /** The decrypted key, for one outgoing call. */
  apiKey(id: string): string | null;
  /**
   * The stored key as it may go with the provider moved to `baseUrl`: kept on the same origin (scheme,
   * host, port), dropped on another, so an edit or an imported file cannot send the key elsewhere.
   */
  carriedKey(id: string, baseUrl: string): { apiKey: string | null; dropped: boolean };
  delete(id: string): boolean;
}

/** scheme://host:port of a URL; an unparsable one is its own origin, equal to nothing else. */
function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

export function providersStore(db: Database, cipher: Cipher): ProvidersStore {
  const list = db.prepare<[], Raw>('SELECT * FROM providers ORDER BY name');
  const get = db.prepare<[string], Raw>('SELECT * FROM providers WHERE id = ?');
  const upsert = db.prepare(
    `INSERT INTO providers (id, name, format, base_url, models, api_key_ciphertext, created_at)
     VALUES (@id, @name, @format, @base_url, @models, @key, @created_at)
     ON CONFLICT(id) DO UPDATE SET name = excluded.name, format = excluded.format, base_url = excluded.base_url,
       models = excluded.models, api_key_ciphertext = excluded.api_key_ciphertext`,
  );
  const del = db.prepare<[string]>('DELETE FROM providers WHERE id = ?');

  return {
    list: () => list.all().map(fromRaw),
    get: (id) => {
      const r = get.get(id);
      return r && fromRaw(r);
    },
    upsert: (p) => {
      upsert.run({
        id: p.id,
        name: p.name,
        format: p.format,
        base_url: p.baseUrl,
        models: JSON.stringify(p.models),
        key: p.apiKey === null ? null : cipher.encrypt(p.apiKey),
        created_at: p.createdAt,
      });
    },
    apiKey: (id) => {
      const r = get.get(id);
      return r?.api_key_ciphertext ? cipher.decrypt(r.api_key_ciphertext) : null;
    },
    carriedKey: (id, baseUrl) => {
      const r = get.get(id);
      if (!r?.api_key_ciphertext) return { apiKey: null, dropped: false };
      const from = originOf(r.base_url);
      if (from === null || from !== originOf(baseUrl)) return { apiKey: null, dropped: true };
      return { apiKey: cipher.decrypt(r.api_key_ciphertext), dropped: false };
    },
    delete: (id) => del.run(id).changes === 1,
  };
}
