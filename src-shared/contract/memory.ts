// Models in memory: what is loaded (footprints, pins, idle times), loading and unloading, and the
// memory limit that eviction keeps to.
import { z } from 'zod';
import { Empty, method, Ok } from './common.ts';

const ModelName = z.string().trim().min(1).max(1024);

export const LoadedModel = z.object({
  id: z.string(),
  footprintBytes: z.number(),
  pinned: z.boolean(),
  /** 'float32': quantized weights held dense for MLX's CPU backend; 'as-stored' otherwise. */
  weights: z.string().optional(),
  /** Loaded as the draft model of these (speculative decoding): unloaded with them. */
  draftOf: z.array(z.string()).optional(),
});
/** How far a load under way has come: bytes of weights read of the total (null until known). */
export const LoadProgress = z.object({
  id: z.string(),
  doneBytes: z.number(),
  totalBytes: z.number().nullable(),
  seconds: z.number(),
});
export type LoadProgress = z.infer<typeof LoadProgress>;

/** Whole percent read, or null while the total is not known yet. */
export function loadPercent(p: Pick<LoadProgress, 'doneBytes' | 'totalBytes'>): number | null {
  if (!p.totalBytes) return null;
  return Math.min(100, Math.floor((p.doneBytes / p.totalBytes) * 100));
}

export const MemoryStatus = z.object({
  limitBytes: z.number().nullable(),
  activeBytes: z.number(),
  systemBytes: z.number(),
  models: z.array(LoadedModel),
  /** KV caches of finished sequences kept for prompts that share their prefix. */
  prefixCacheBytes: z.number().optional(),
  /** The prefix cache on disk: bytes of its block files, the budget it is kept under, files. */
  diskPrefixCache: z
    .object({ bytes: z.number(), budgetBytes: z.number(), entries: z.number() })
    .optional(),
  /** Models being loaded right now (repo ids or paths, as requested). */
  loading: z.array(z.string()).optional(),
  /** The same loads with their progress. */
  loads: z.array(LoadProgress).optional(),
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
    /** A draft model for speculative decoding, loaded with it (same tokenizer checked). */
    draft_model: ModelName.optional(),
  })
  .strict();

/** Token counts for the chat's attachments and history, with the model's own tokenizer when loaded. */
export const TokenCount = z.object({
  /** False when the model is not loaded: no tokenizer was used (counts null; a load is never started). */
  loaded: z.boolean(),
  /** Tokens of each text, in order. */
  counts: z.array(z.number().int().min(0)).nullable(),
  /** The window the model works with: its loaded context_length, else what its config declares. */
  contextLength: z.number().int().min(1),
});
export type TokenCount = z.infer<typeof TokenCount>;

export const memoryMethods = {
  'models.list': method(Empty, z.array(LocalModel)),
  'models.load': method(LoadModelInput, LocalModel),
  'models.unload': method(z.object({ model: ModelName }).strict(), Ok),
  /** Stops a load under way; memory is left as before it (models it evicted stay unloaded). */
  'models.cancelLoad': method(z.object({ model: ModelName }).strict(), Ok),
  'models.countTokens': method(
    z.object({ model: ModelName, texts: z.array(z.string().max(4_000_000)).max(64) }).strict(),
    TokenCount,
  ),
  'memory.status': method(Empty, MemoryStatus),
  'memory.setLimit': method(z.object({ limit: MemoryLimit }).strict(), MemoryStatus),
} as const;

export const memoryEvents = {
  memoryStatus: MemoryStatus,
} as const;
