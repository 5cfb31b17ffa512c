// RPC handlers of the chat playground's history (conversations.*): checks, then the conversations store.
// Plugged into the dispatcher's handler table with a spread by the composition root.
import crypto from 'node:crypto';
import { CoreError } from '../errors/index.ts';
import {
  MessageMeta,
  type ChatMessage,
  type Conversation,
  type conversationMethods,
} from '#shared/contract/conversations.ts';
import type { Handlers } from '../rpc/index.ts';
import type { ConversationRow, ConversationsStore, MessageRow } from './store.ts';

const DEFAULT_TITLE = 'Untitled chat';

function toMessage(row: MessageRow): ChatMessage {
  let meta: ChatMessage['meta'] = null;
  if (row.meta) {
    // A row written by another version with unknown fields shows without figures rather than failing the list.
    const parsed = MessageMeta.safeParse(JSON.parse(row.meta));
    meta = parsed.success ? parsed.data : null;
  }
  return {
    id: row.id,
    conversationId: row.conversationId,
    role: row.role,
    content: row.content,
    reasoning: row.reasoning,
    meta,
    createdAt: row.createdAt,
  };
}

export interface ConversationHandlerDeps {
  store: ConversationsStore;
  /** A conversation may name a profile; it must exist when the conversation is created. */
  profileExists: (id: string) => boolean;
}

export type ConversationHandlers = Pick<Handlers, keyof typeof conversationMethods>;

export function conversationHandlers(
  d: ConversationHandlerDeps,
  now: () => number = Date.now,
): ConversationHandlers {
  const { store } = d;
  const mustGet = (id: string): ConversationRow => {
    const c = store.get(id);
    if (!c) throw new CoreError('not_found', `no conversation with id "${id}"`);
    return c;
  };
  const toConversation = (c: ConversationRow): Conversation => ({ ...c });

  return {
    'conversations.list': () => store.list().map(toConversation),
    'conversations.create': ({ title, profileId }) => {
      if (profileId && !d.profileExists(profileId))
        throw new CoreError('not_found', `no profile with id "${profileId}"`);
      const t = now();
      const row: ConversationRow = {
        id: crypto.randomUUID(),
        title: title ?? DEFAULT_TITLE,
        profileId: profileId ?? null,
        createdAt: t,
        updatedAt: t,
      };
      store.insert(row);
      return toConversation(row);
    },
    'conversations.rename': ({ id, title }) => {
      mustGet(id);
      store.rename(id, title, now());
      return toConversation(mustGet(id));
    },
    'conversations.delete': ({ id }) => {
      if (!store.delete(id)) throw new CoreError('not_found', `no conversation with id "${id}"`);
      return { ok: true as const };
    },
    'conversations.messages': ({ id }) => {
      mustGet(id);
      return store.messages(id).map(toMessage);
    },
    'conversations.addMessage': ({ conversationId, role, content, reasoning, meta }) => {
      mustGet(conversationId);
      const createdAt = now();
      const id = store.addMessage({
        conversationId,
        role,
        content,
        reasoning: reasoning ?? null,
        meta: meta ? JSON.stringify(meta) : null,
        createdAt,
      });
      return {
        id,
        conversationId,
        role,
        content,
        reasoning: reasoning ?? null,
        meta: meta ?? null,
        createdAt,
      };
    },
    'conversations.truncate': ({ conversationId, fromMessageId }) => {
      mustGet(conversationId);
      return { deleted: store.deleteFrom(conversationId, fromMessageId) };
    },
  };
}
