// Values the gateway derives from the database on every request (settings, routing rules, profiles,
// providers), kept in memory and read again only after any connection has written: one cheap check a request.
import type { Database } from '../../db/index.ts';

/**
 * A token that changes whenever the database may have: data_version moves on commits by other
 * connections (the CLI, another process), total_changes on this connection's own writes.
 */
export function dbVersion(db: Database): () => string {
  const st = db.prepare<[], { dv: number; tc: number }>(
    'SELECT (SELECT data_version FROM pragma_data_version) AS dv, total_changes() AS tc',
  );
  return () => {
    const r = st.get()!;
    return `${r.dv}:${r.tc}`;
  };
}

/** `read()` again only when the version has moved; a read that throws is not remembered. */
export function cachedByVersion<T>(version: () => string, read: () => T): () => T {
  let at: string | null = null;
  let value: T;
  return () => {
    const v = version();
    if (v !== at) {
      value = read();
      at = v;
    }
    return value;
  };
}
