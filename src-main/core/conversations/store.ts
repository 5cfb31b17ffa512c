// The conversations area's SQL: conversations and their messages (the playground's chat history).
// Rows only; the handlers validate input and turn rows into contract objects.
import type { Database } from 'better-sqlite3';

export interface ConversationRow {
  id: string;
  title: string;
  profileId: string | null;
  createdAt: number;
  updatedAt: number;
}
export type Role = 'system' | 'user' | 'assistant' | 'tool';
export interface MessageRow {
  id: number;
  conversationId: string;
  role: Role;
  content: string;
  reasoning: string | null;
  /** JSON text of the playground's per-answer figures (contract MessageMeta), or null. */
  meta?: string | null;
  createdAt: number;
}

export interface ConversationsStore {
  list(): ConversationRow[];
  get(id: string): ConversationRow | undefined;
  insert(c: ConversationRow): void;
  rename(id: string, title: string, at: number): boolean;
  delete(id: string): boolean;
  /** Appends a message and marks its conversation as updated; returns the message id. */
  addMessage(m: Omit<MessageRow, 'id'>): number;
  messages(conversationId: string): MessageRow[];
  /** Deletes message `fromId` and every later message of the conversation; returns how many. */
  deleteFrom(conversationId: string, fromId: number): number;
}

export function conversationsStore(db: Database): ConversationsStore {
  const cols =
    'id, title, profile_id AS profileId, created_at AS createdAt, updated_at AS updatedAt';
  const list = db.prepare<[], ConversationRow>(
    `SELECT ${cols} FROM conversations ORDER BY updated_at DESC`,
  );
  const get = db.prepare<[string], ConversationRow>(
    `SELECT ${cols} FROM conversations WHERE id = ?`,
  );
  const insert = db.prepare(
    `INSERT INTO conversations (id, title, profile_id, created_at, updated_at)
     VALUES (@id, @title, @profileId, @createdAt, @updatedAt)`,
  );
  const rename = db.prepare<[string, number, string]>(
    'UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?',
  );
  const touch = db.prepare<[number, string]>(
    'UPDATE conversations SET updated_at = ? WHERE id = ?',
  );
  const del = db.prepare<[string]>('DELETE FROM conversations WHERE id = ?');
  const addMessage = db.prepare(
    `INSERT INTO messages (conversation_id, role, content, reasoning, meta, created_at)
     VALUES (@conversationId, @role, @content, @reasoning, @meta, @createdAt)`,
  );
  const messages = db.prepare<[string], MessageRow>(
    `SELECT id, conversation_id AS conversationId, role, content, reasoning, meta, created_at AS createdAt
     FROM messages WHERE conversation_id = ? ORDER BY id`,
  );
  const deleteFrom = db.prepare<[string, number]>(
    'DELETE FROM messages WHERE conversation_id = ? AND id >= ?',
  );

  return {
    list: () => list.all(),
    get: (id) => get.get(id),
    insert: (c) => {
      insert.run(c);
    },
    rename: (id, title, at) => rename.run(title, at, id).changes === 1,
    delete: (id) => del.run(id).changes === 1,
    addMessage: (m) => {
      const id = Number(addMessage.run({ meta: null, ...m }).lastInsertRowid);
      touch.run(m.createdAt, m.conversationId);
      return id;
    },
    messages: (conversationId) => messages.all(conversationId),
    deleteFrom: (conversationId, fromId) => deleteFrom.run(conversationId, fromId).changes,
  };
}
