// The typed API between the UI (or CLI) and core: every method's zod input and output, and the
// event streams. Compiled for the browser too: import nothing here but zod and zod-only schema files.
import { z } from 'zod';
import { downloadContract, downloadEvents } from './methods-downloads.ts';
import { gatewayContract } from './methods-gateway.ts';
import { modelsContract } from './methods-models.ts';
import { settingsContract } from './methods-settings.ts';

// Schemas of the screen-level fragments, so the UI validates forms with exactly what the server checks.
export * from './methods-downloads.ts';
export * from './methods-gateway.ts';
export * from './methods-models.ts';
export * from './methods-settings.ts';

// ---- Profiles -------------------------------------------------------------------------------

/** Field names follow the OpenAI request body, so a profile maps onto a request field by field. */
export const SamplingParams = z.object({
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  min_p: z.number().min(0).max(1).optional(),
  repetition_penalty: z.number().gt(0).optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
});

export const ProfileParams = SamplingParams.extend({
  system_prompt: z.string().max(100_000).optional(),
  max_tokens: z.number().int().min(1).optional(),
  context_length: z.number().int().min(1).optional(),
  stop: z.array(z.string().min(1).max(1000)).max(32).optional(),
  thinking: z.boolean().optional(),
  reasoning_budget: z.number().int().min(0).optional(),
  seed: z.number().int().optional(),
  /** Pin: load at start-up and never evict. */
  keep_loaded: z.boolean().optional(),
  idle_ttl_seconds: z.number().positive().optional(),
  /** Override of the tool-call format detected from the chat template (e.g. "hermes"). */
  tool_format: z.string().min(1).max(64).optional(),
}).strict();
export type ProfileParams = z.infer<typeof ProfileParams>;

export const ProfileName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  // A profile is addressable as a model name in the API; keep it free of control characters.
  .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters');

export const ProfileInput = z
  .object({
    name: ProfileName,
    model: z.string().trim().min(1).max(1024),
    params: ProfileParams.default({}),
  })
  .strict();
export type ProfileInput = z.infer<typeof ProfileInput>;

export const ProfilePatch = z
  .object({
    name: ProfileName.optional(),
    model: z.string().trim().min(1).max(1024).optional(),
    params: ProfileParams.optional(),
  })
  .strict();
export type ProfilePatch = z.infer<typeof ProfilePatch>;

export const Profile = z.object({
  id: z.string(),
  name: z.string(),
  model: z.string(),
  params: ProfileParams,
  isDefault: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Profile = z.infer<typeof Profile>;

// ---- Portable config file (profiles, routing rules, providers) --------------------------------

const Name = z.string().trim().min(1).max(1024);

/** Where a request can go; same shape as gateway/types.ts Target. */
export const Target = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local'), model: Name }).strict(),
  z.object({ kind: z.literal('profile'), profile: Name }).strict(),
  z.object({ kind: z.literal('provider'), providerId: Name, model: Name }).strict(),
]);

export const RoutingRuleConfig = z
  .object({
    id: z.string().min(1).max(200),
    priority: z.number().int(),
    /** Exact model name or a glob with `*` and `?` (never a regular expression). */
    pattern: z.string().min(1).max(1024),
    target: Target,
    fallbacks: z.array(Target).max(16).default([]),
    enabled: z.boolean().default(true),
  })
  .strict();

export const ProviderConfig = z
  .object({
    id: z.string().min(1).max(200),
    name: z.string().trim().min(1).max(200),
    format: z.enum(['openai', 'anthropic']),
    baseUrl: z.url({ protocol: /^https?$/ }),
    models: z.array(Name).max(1000).default([]),
    /** Plaintext, present only in exports made with --with-secrets; absent keeps the stored key. */
    apiKey: z.string().min(1).nullable().optional(),
  })
  .strict();

export const ProfileConfig = z
  .object({
    name: ProfileName,
    model: Name,
    params: ProfileParams.default({}),
    isDefault: z.boolean().default(false),
  })
  .strict();

export const ConfigFile = z
  .object({
    orchard: z.literal(1),
    profiles: z.array(ProfileConfig).default([]),
    routingRules: z.array(RoutingRuleConfig).default([]),
    providers: z.array(ProviderConfig).default([]),
  })
  .strict();
export type ConfigFile = z.infer<typeof ConfigFile>;
export type ConfigFileInput = z.input<typeof ConfigFile>;

// ---- Methods ---------------------------------------------------------------------------------

const Empty = z.object({}).strict();
const Id = z.object({ id: z.string().min(1) }).strict();
const Ok = z.object({ ok: z.literal(true) });
const ModelName = z.string().trim().min(1).max(1024);

export const SidecarStatus = z.object({
  state: z.enum(['idle', 'starting', 'ready', 'restarting', 'crashed', 'stopped']),
  pid: z.number().nullable(),
  port: z.number().nullable(),
  recentCrashes: z.number(),
  inFlight: z.number(),
  lastError: z.string().nullable(),
  stderrTail: z.array(z.string()),
});
export type SidecarStatus = z.infer<typeof SidecarStatus>;

export const LoadedModel = z.object({
  id: z.string(),
  footprintBytes: z.number(),
  pinned: z.boolean(),
  /** 'float32': quantized weights held dense for MLX's CPU backend; 'as-stored' otherwise. */
  weights: z.string().optional(),
});
export const MemoryStatus = z.object({
  limitBytes: z.number().nullable(),
  activeBytes: z.number(),
  systemBytes: z.number(),
  models: z.array(LoadedModel),
  /** KV caches of finished sequences kept for prompts that share their prefix. */
  prefixCacheBytes: z.number().optional(),
  /** Models being loaded right now (repo ids or paths, as requested). */
  loading: z.array(z.string()).optional(),
  /** Pinned or busy models keep memory above the limit (or more models than allowed are loaded). */
  overLimit: z.boolean().optional(),
  /** Models a lowered limit unloaded right away (memory.setLimit only). */
  evicted: z.array(z.string()).optional(),
});
export type MemoryStatus = z.infer<typeof MemoryStatus>;

/** A memory limit as absolute gigabytes or a percentage of system memory. */
export const MemoryLimit = z.union([
  z.object({ gb: z.number().positive().max(100_000) }).strict(),
  z.object({ percent: z.number().gt(0).max(100) }).strict(),
]);
export type MemoryLimit = z.infer<typeof MemoryLimit>;

export const LocalModel = z.object({
  id: z.string(),
  sizeBytes: z.number().nullable(),
  loaded: z.boolean(),
  footprintBytes: z.number().nullable(),
  pinned: z.boolean(),
  /** Seconds since a loaded model last served (the least recently used is evicted first). */
  idleSeconds: z.number().nullable().default(null),
});

export const LoadModelInput = z
  .object({
    model: ModelName,
    pin: z.boolean().optional(),
    ttl_seconds: z.number().positive().optional(),
    context_length: z.number().int().min(1).optional(),
  })
  .strict();

// ---- Conversations (chat playground history) ---------------------------------------------------

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
    error: z.string().max(10_000).optional(),
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

function method<I extends z.ZodType, O extends z.ZodType>(input: I, output: O) {
  return { input, output };
}

export const contract = {
  'app.status': method(
    Empty,
    z.object({
      version: z.string(),
      dataDir: z.string(),
      apiBaseUrl: z.string().nullable(),
      sidecar: SidecarStatus,
      /** Things the user must be told that happened before any client connected (e.g. a corrupt database). */
      notices: z.array(
        z.object({ level: z.enum(['info', 'warning', 'error']), message: z.string() }),
      ),
    }),
  ),
  'sidecar.status': method(Empty, SidecarStatus),
  /** Starts the sidecar again after it ended up `crashed` or `stopped`. */
  'sidecar.restart': method(Empty, SidecarStatus),
  'profiles.list': method(Empty, z.array(Profile)),
  'profiles.get': method(Id, Profile),
  'profiles.create': method(ProfileInput, Profile),
  'profiles.update': method(
    z.object({ id: z.string().min(1), patch: ProfilePatch }).strict(),
    Profile,
  ),
  'profiles.duplicate': method(
    z
      .object({ id: z.string().min(1), name: z.string().trim().min(1).max(100).optional() })
      .strict(),
    Profile,
  ),
  'profiles.delete': method(Id, Ok),
  'profiles.setDefault': method(Id, Profile),
  'models.list': method(Empty, z.array(LocalModel)),
  'models.load': method(LoadModelInput, LocalModel),
  'models.unload': method(z.object({ model: ModelName }).strict(), Ok),
  'memory.status': method(Empty, MemoryStatus),
  'memory.setLimit': method(z.object({ limit: MemoryLimit }).strict(), MemoryStatus),
  'config.export': method(
    z.object({ withSecrets: z.boolean().default(false) }).strict(),
    ConfigFile,
  ),
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
  'config.import': method(
    z.object({ config: z.unknown() }).strict(),
    z.object({ profiles: z.number(), routingRules: z.number(), providers: z.number() }),
  ),
  ...settingsContract,
  ...modelsContract,
  ...gatewayContract,
  ...downloadContract,
} as const;

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export type MethodInput<M extends MethodName> = z.input<Contract[M]['input']>;
export type MethodParams<M extends MethodName> = z.output<Contract[M]['input']>;
export type MethodResult<M extends MethodName> = z.output<Contract[M]['output']>;

export const events = {
  sidecarState: SidecarStatus,
  memoryStatus: MemoryStatus,
  downloadProgress: z.object({
    id: z.string(),
    repoId: z.string(),
    status: z.string(),
    doneBytes: z.number(),
    totalBytes: z.number().nullable(),
    bytesPerSecond: z.number().nullable(),
  }),
  ...downloadEvents,
  chatToken: z.object({
    requestId: z.string(),
    kind: z.enum(['content', 'reasoning', 'done', 'error']),
    text: z.string(),
  }),
  /** Something the user must be told (e.g. a corrupt database was moved aside). */
  notice: z.object({ level: z.enum(['info', 'warning', 'error']), message: z.string() }),
} as const;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.infer<Events[E]>;

export const RpcErrorPayload = z.object({ code: z.string(), message: z.string() });

/** Wire frames of the WebSocket transport. */
export const ClientFrame = z.union([
  z.object({ type: z.literal('auth'), token: z.string() }),
  z.object({
    type: z.literal('call'),
    id: z.number().int(),
    method: z.string(),
    params: z.unknown(),
  }),
]);
export type ServerFrame =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number | null; error: z.infer<typeof RpcErrorPayload> }
  | { type: 'event'; event: EventName; data: unknown };
