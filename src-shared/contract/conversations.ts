// The chat playground's history: conversations, their messages with the figures measured for each
// answer, and truncation for regenerate and edit-and-resend.
import { z } from 'zod';
import { Empty, method, Ok } from './common.ts';

const Id = z.object({ id: z.string().min(1) }).strict();

/** Per-answer figures the playground measured; stored with the message as JSON. */
export const MessageMeta = z
  .object({
    model: z.string().max(1024).optional(),
    route: z.string().max(2048).optional(),
    ttftMs: z.number().min(0).optional(),
    tokensPerSecond: z.number().min(0).optional(),
    tokens: z.number().int().min(0).optional(),
    reasoningMs: z.number().min(0).optional(),
    finishReason: z.string().max(64).optional(),
    stopped: z.boolean().optional(),
    /** Speculative decoding: tokens proposed and accepted for this answer (Orchard's sidecar). */
    specProposed: z.number().int().min(0).optional(),
    specAccepted: z.number().int().min(0).optional(),
    /** A user message's attached pictures (scaled down in the renderer), sent as image_url parts. */
    images: z
      .array(
        z
          .object({
            url: z
              .string()
              .max(8_000_000)
              .regex(/^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$/),
            name: z.string().max(256),
          })
          .strict(),
      )
      .max(4)
      .optional(),
    /** A user message's attached text files: their text goes to the model in a delimited block. */
    files: z
      .array(
        z
          .object({
            name: z.string().min(1).max(256),
            text: z.string().max(1_000_000),
            bytes: z.number().int().min(0),
            /** Tokens when attached: the model's own count, or an estimate (`estimated`). */
            tokens: z.number().int().min(0),
            estimated: z.boolean(),
          })
          .strict(),
      )
      .max(8)
      .optional(),
    error: z.string().max(10_000).optional(),
    /** An answer that called tools (MCP): the calls as the model made them. */
    toolCalls: z
      .array(
        z.object({
          id: z.string().max(256),
          name: z.string().max(256),
          arguments: z.string().max(1_000_000),
        }),
      )
      .max(64)
      .optional(),
    /** A tool message: which call it answers, where it ran and how it went. */
    tool: z
      .object({
        callId: z.string().max(256),
        name: z.string().max(256),
        server: z.string().max(256).nullable(),
        arguments: z.string().max(1_000_000),
        isError: z.boolean(),
        declined: z.boolean().optional(),
        durationMs: z.number().min(0).optional(),
      })
      .optional(),
  })
  .strict();
export type MessageMeta = z.infer<typeof MessageMeta>;

export const Conversation = z.object({
  id: z.string(),
  title: z.string(),
  profileId: z.string().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Conversation = z.infer<typeof Conversation>;

export const ChatRole = z.enum(['system', 'user', 'assistant', 'tool']);
export const ChatMessage = z.object({
  id: z.number(),
  conversationId: z.string(),
  role: ChatRole,
  content: z.string(),
  reasoning: z.string().nullable(),
  meta: MessageMeta.nullable(),
  createdAt: z.number(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

const ConversationTitle = z.string().trim().min(1).max(200);

export const conversationMethods = {
  'conversations.list': method(Empty, z.array(Conversation)),
  'conversations.create': method(
    z
      .object({
        title: ConversationTitle.optional(),
        profileId: z.string().min(1).nullable().optional(),
      })
      .strict(),
    Conversation,
  ),
  'conversations.rename': method(
    z.object({ id: z.string().min(1), title: ConversationTitle }).strict(),
    Conversation,
  ),
  'conversations.delete': method(Id, Ok),
  'conversations.messages': method(Id, z.array(ChatMessage)),
  'conversations.addMessage': method(
    z
      .object({
        conversationId: z.string().min(1),
        role: ChatRole,
        content: z.string().max(4_000_000),
        reasoning: z.string().max(4_000_000).nullable().optional(),
        meta: MessageMeta.nullable().optional(),
      })
      .strict(),
    ChatMessage,
  ),
  /** Deletes a message and every later one of its conversation (regenerate, edit and resend). */
  'conversations.truncate': method(
    z.object({ conversationId: z.string().min(1), fromMessageId: z.number().int() }).strict(),
    z.object({ deleted: z.number() }),
  ),
} as const;

export const conversationEvents = {
  chatToken: z.object({
    requestId: z.string(),
    kind: z.enum(['content', 'reasoning', 'done', 'error']),
    text: z.string(),
  }),
} as const;
