// Migration 9: speculative decoding's counts on the audit row (tokens proposed and accepted), null for a
// request that did not speculate. Counts only, like the other token columns.
import type { Migration } from './types.ts';

export const migration: Migration = {
  version: 9,
  name: 'speculative',
  up(db) {
    db.exec(`
      ALTER TABLE audit_log ADD COLUMN spec_proposed INTEGER;
      ALTER TABLE audit_log ADD COLUMN spec_accepted INTEGER;
    `);
  },
};
