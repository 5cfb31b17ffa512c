// The MCP area's SQL: the servers the user added or imported. Env and header values are encrypted
// with the install's cipher before they reach the table and decrypted only to start a server.
import type { Database } from 'better-sqlite3';
import type { Cipher } from '../db/index.ts';

export interface McpServerRow {
  id: string;
  name: string;
  transport: 'stdio' | 'http';
  command: string | null;
  args: string[];
  url: string | null;
  envKeys: string[];
  headerKeys: string[];
  permission: 'ask' | 'allow';
  enabled: boolean;
  timeoutMs: number;
  createdAt: number;
}

/** A row plus the secrets to write: a record replaces the stored set, undefined keeps it. */
export type McpServerWrite = Omit<McpServerRow, 'envKeys' | 'headerKeys'> & {
  env?: Record<string, string>;
  headers?: Record<string, string>;
};

interface Raw {
  id: string;
  name: string;
  transport: 'stdio' | 'http';
  command: string | null;
  args: string;
  url: string | null;
  env_keys: string;
  env_ciphertext: Buffer | null;
  header_keys: string;
  headers_ciphertext: Buffer | null;
  permission: 'ask' | 'allow';
  enabled: number;
  timeout_ms: number;
  created_at: number;
}

const fromRaw = (r: Raw): McpServerRow => ({
  id: r.id,
  name: r.name,
  transport: r.transport,
  command: r.command,
  args: JSON.parse(r.args) as string[],
  url: r.url,
  envKeys: JSON.parse(r.env_keys) as string[],
  headerKeys: JSON.parse(r.header_keys) as string[],
  permission: r.permission,
  enabled: r.enabled === 1,
  timeoutMs: r.timeout_ms,
  createdAt: r.created_at,
});

export interface McpStore {
  list(): McpServerRow[];
  get(id: string): McpServerRow | undefined;
  byName(name: string): McpServerRow | undefined;
  /** Inserts or replaces the row; env/headers undefined keep what is stored. */
  put(s: McpServerWrite): void;
  /** The decrypted env and headers, to start one server. */
  secrets(id: string): { env: Record<string, string>; headers: Record<string, string> };
  delete(id: string): boolean;
}

export function mcpStore(db: Database, cipher: Cipher): McpStore {
  const list = db.prepare<[], Raw>('SELECT * FROM mcp_servers ORDER BY name');
  const get = db.prepare<[string], Raw>('SELECT * FROM mcp_servers WHERE id = ?');
  const byName = db.prepare<[string], Raw>('SELECT * FROM mcp_servers WHERE name = ?');
  const upsert = db.prepare(
    `INSERT INTO mcp_servers (id, name, transport, command, args, url, env_keys, env_ciphertext,
       header_keys, headers_ciphertext, permission, enabled, timeout_ms, created_at)
     VALUES (@id, @name, @transport, @command, @args, @url, @env_keys, @env_ciphertext,
       @header_keys, @headers_ciphertext, @permission, @enabled, @timeout_ms, @created_at)
     ON CONFLICT(id) DO UPDATE SET name = excluded.name, transport = excluded.transport,
       command = excluded.command, args = excluded.args, url = excluded.url,
       env_keys = excluded.env_keys, env_ciphertext = excluded.env_ciphertext,
       header_keys = excluded.header_keys, headers_ciphertext = excluded.headers_ciphertext,
       permission = excluded.permission, enabled = excluded.enabled, timeout_ms = excluded.timeout_ms`,
  );
  const del = db.prepare<[string]>('DELETE FROM mcp_servers WHERE id = ?');
  const seal = (rec: Record<string, string>): Buffer | null =>
    Object.keys(rec).length === 0 ? null : cipher.encrypt(JSON.stringify(rec));
  const open = (blob: Buffer | null): Record<string, string> =>
    blob ? (JSON.parse(cipher.decrypt(blob)) as Record<string, string>) : {};

  return {
    list: () => list.all().map(fromRaw),
    get: (id) => {
      const r = get.get(id);
      return r && fromRaw(r);
    },
    byName: (name) => {
      const r = byName.get(name);
      return r && fromRaw(r);
    },
    put: (s) => {
      const old = get.get(s.id);
      upsert.run({
        id: s.id,
        name: s.name,
        transport: s.transport,
        command: s.command,
        args: JSON.stringify(s.args),
        url: s.url,
        env_keys: s.env ? JSON.stringify(Object.keys(s.env)) : (old?.env_keys ?? '[]'),
        env_ciphertext: s.env ? seal(s.env) : (old?.env_ciphertext ?? null),
        header_keys: s.headers
          ? JSON.stringify(Object.keys(s.headers))
          : (old?.header_keys ?? '[]'),
        headers_ciphertext: s.headers ? seal(s.headers) : (old?.headers_ciphertext ?? null),
        permission: s.permission,
        enabled: s.enabled ? 1 : 0,
        timeout_ms: s.timeoutMs,
        created_at: s.createdAt,
      });
    },
    secrets: (id) => {
      const r = get.get(id);
      return r
        ? { env: open(r.env_ciphertext), headers: open(r.headers_ciphertext) }
        : { env: {}, headers: {} };
    },
    delete: (id) => del.run(id).changes === 1,
  };
}
