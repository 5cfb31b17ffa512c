// Migration 7: stored Responses API objects (POST /v1/responses with store), so previous_response_id,
// GET, DELETE and input_items work; each response's input and output items are rows of their own.
import type { Migration } from './types.ts';

export const migration: Migration = {
  version: 7,
  name: 'responses',
  up(db) {
    db.exec(`
      CREATE TABLE responses (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        previous_response_id TEXT,
        body TEXT NOT NULL
      );
      CREATE INDEX responses_created_at ON responses (created_at);
      CREATE TABLE response_items (
        response_id TEXT NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('input', 'output')),
        item_id TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (response_id, kind, position)
      );
      CREATE INDEX response_items_item_id ON response_items (item_id);
    `);
  },
};
