// The settings area's SQL: a small key → JSON value table.
// Other areas read their own keys through this store; the settings service validates what it writes.
import type { Database } from 'better-sqlite3';

export interface SettingsStore {
  /** The stored value, parsed from JSON; undefined when the key is absent. */
  get(key: string): unknown;
  all(): Record<string, unknown>;
  set(key: string, value: unknown): void;
  delete(key: string): boolean;
}

export function settingsStore(db: Database): SettingsStore {
  const get = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
  const all = db.prepare<[], { key: string; value: string }>(
    'SELECT key, value FROM settings ORDER BY key',
  );
  const put = db.prepare<[string, string]>(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  );
  const del = db.prepare<[string]>('DELETE FROM settings WHERE key = ?');
  return {
    get: (key) => {
      const r = get.get(key);
      return r === undefined ? undefined : (JSON.parse(r.value) as unknown);
    },
    all: () => Object.fromEntries(all.all().map((r) => [r.key, JSON.parse(r.value) as unknown])),
    set: (key, value) => {
      put.run(key, JSON.stringify(value));
    },
    delete: (key) => del.run(key).changes === 1,
  };
}
