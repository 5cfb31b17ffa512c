// Stored Responses API objects: the response, its input items and output items, kept for a retention
// period (pruned on write) so that previous_response_id, GET, DELETE and input_items can find them.
import type { Database } from 'better-sqlite3';

type Json = Record<string, unknown>;

/** How long a stored response is kept. OpenAI keeps them 30 days; so does Orchard. */
export const RESPONSES_RETENTION_DAYS = 30;
/** How many links of a previous_response_id chain are followed before the rest is left out. */
export const MAX_CHAIN = 1000;

export interface StoredResponse {
  id: string;
  createdAt: number;
  previousResponseId: string | null;
  body: Json;
}

export interface ResponsesStore {
  /** Saves a response with its items, replacing one with the same id; prunes expired ones first. */
  save(r: StoredResponse, input: Json[], output: Json[]): void;
  get(id: string): StoredResponse | null;
  delete(id: string): boolean;
  /** The input items of one response, in order. */
  inputItems(id: string): Json[];
  /**
   * The conversation up to and including `id`: every earlier response's input then output items,
   * oldest first; null when `id` is not stored.
   */
  history(id: string): Json[] | null;
  /** An input or output item by its id, from any stored response; null when none has it. */
  item(itemId: string): Json | null;
}

interface ItemRow {
  kind: string;
  body: string;
}

export function responsesStore(
  db: Database,
  now: () => number,
  retentionDays = RESPONSES_RETENTION_DAYS,
): ResponsesStore {
  const insert = db.prepare(
    'INSERT OR REPLACE INTO responses (id, created_at, previous_response_id, body) VALUES (?, ?, ?, ?)',
  );
  const clearItems = db.prepare('DELETE FROM response_items WHERE response_id = ?');
  const insertItem = db.prepare(
    'INSERT INTO response_items (response_id, position, kind, item_id, body) VALUES (?, ?, ?, ?, ?)',
  );
  const prune = db.prepare('DELETE FROM responses WHERE created_at < ?');
  const selectOne = db.prepare(
    'SELECT id, created_at AS createdAt, previous_response_id AS previousResponseId, body FROM responses WHERE id = ?',
  );
  const remove = db.prepare('DELETE FROM responses WHERE id = ?');
  const itemsOf = db.prepare(
    "SELECT kind, body FROM response_items WHERE response_id = ? ORDER BY kind = 'output', position",
  );
  const inputsOf = db.prepare(
    "SELECT body FROM response_items WHERE response_id = ? AND kind = 'input' ORDER BY position",
  );
  const itemById = db.prepare('SELECT body FROM response_items WHERE item_id = ? LIMIT 1');

  const save = db.transaction((r: StoredResponse, input: Json[], output: Json[]) => {
    prune.run(Math.floor(now() / 1000) - retentionDays * 86400);
    insert.run(r.id, r.createdAt, r.previousResponseId, JSON.stringify(r.body));
    clearItems.run(r.id);
    const add = (kind: string, items: Json[]) =>
      items.forEach((it, i) =>
        insertItem.run(r.id, i, kind, typeof it.id === 'string' ? it.id : '', JSON.stringify(it)),
      );
    add('input', input);
    add('output', output);
  });

  const get = (id: string): StoredResponse | null => {
    const row = selectOne.get(id) as
      | { id: string; createdAt: number; previousResponseId: string | null; body: string }
      | undefined;
    return row ? { ...row, body: JSON.parse(row.body) as Json } : null;
  };

  return {
    save: (r, input, output) => save(r, input, output),
    get,
    delete: (id) => remove.run(id).changes > 0,
    inputItems: (id) =>
      (inputsOf.all(id) as Array<{ body: string }>).map((r) => JSON.parse(r.body) as Json),
    history(id) {
      if (!selectOne.get(id)) return null;
      const chain: string[] = [];
      const seen = new Set<string>();
      for (let cur: string | null = id; cur && !seen.has(cur) && chain.length < MAX_CHAIN;) {
        const r = get(cur);
        if (!r) break; // an earlier link expired or was deleted: the history starts after it
        seen.add(cur);
        chain.push(cur);
        cur = r.previousResponseId;
      }
      return chain
        .reverse()
        .flatMap((rid) => (itemsOf.all(rid) as ItemRow[]).map((r) => JSON.parse(r.body) as Json));
    },
    item(itemId) {
      const row = itemById.get(itemId) as { body: string } | undefined;
      return row ? (JSON.parse(row.body) as Json) : null;
    },
  };
}
