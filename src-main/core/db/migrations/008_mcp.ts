// Migration 8: MCP servers for tools in chat. Env and header values are one encrypted JSON blob each
// (like provider keys); their names are kept in clear so the list shows them without decrypting.
import type { Migration } from './types.ts';

export const migration: Migration = {
  version: 8,
  name: 'mcp_servers',
  up(db) {
    db.exec(`
      CREATE TABLE mcp_servers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        transport TEXT NOT NULL CHECK (transport IN ('stdio', 'http')),
        command TEXT,
        args TEXT NOT NULL DEFAULT '[]',
        url TEXT,
        env_keys TEXT NOT NULL DEFAULT '[]',
        env_ciphertext BLOB,
        header_keys TEXT NOT NULL DEFAULT '[]',
        headers_ciphertext BLOB,
        permission TEXT NOT NULL DEFAULT 'ask' CHECK (permission IN ('ask', 'allow')),
        enabled INTEGER NOT NULL DEFAULT 1,
        timeout_ms INTEGER NOT NULL DEFAULT 60000,
        created_at INTEGER NOT NULL
      );
    `);
  },
};
