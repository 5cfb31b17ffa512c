// The core<->sidecar admin protocol as zod schemas: the replies of /admin/* and GET /health, mirroring
// the pydantic models in inference-sidecar/orchard_sidecar/protocol/admin.py field for field.
import { z } from 'zod';

// Plain z.object: a key the sidecar adds is dropped here rather than failing a running app;
// admin.contract.test.ts compares parsed replies with the raw ones, so such drift still fails a test.
const int = z.number().int();

const slots = {
  /** Sequences decoding now, over all models. */
  active_sequences: int,
  /** Work waiting for the sidecar's MLX thread. */
  queued_commands: int,
};

export const HealthResponse = z.object({
  status: z.literal('ok'),
  pid: int,
  loaded_models: int,
  ...slots,
});

export const CapabilitiesResponse = z.object({
  mlx_lm_version: z.string(),
  /** config.json model_types mlx-lm can load on this machine. */
  model_types: z.array(z.string()),
  /** The model_types an embedding model may have: what the sidecar's own embedder runs (BERT). */
  embedding_model_types: z.array(z.string()),
});

const Weights = z.enum(['as-stored', 'float32']);

const loadedFields = {
  footprint_bytes: int,
  weights: Weights,
  pinned: z.boolean(),
  ttl_seconds: z.number().nullable(),
  context_length: int.nullable(),
  stop: z.array(z.string()).nullable(),
  tool_format: z.string().nullable(),
  idle_seconds: z.number(),
  /** Of this model. */
  active_sequences: int,
  /** The draft loaded with it (speculative decoding), used when a request does not say `speculative`. */
  draft_model: z.string().nullable(),
};

const onDisk = {
  id: z.string(),
  path: z.string(),
  revision: z.string().nullable(),
  size_bytes: int,
  /** Loads since the sidecar started. */
  loads: int,
  // From its files (orchard_sidecar/model_info.py), for model listings.
  /** config.json model_type. */
  architecture: z.string().nullable(),
  /** Positions its config declares: the window when no profile sets context_length. */
  context_window: int,
  quantization: z
    .object({ bits: int, group_size: int.nullable(), mode: z.string().nullable() })
    .nullable(),
  /** config.json torch_dtype. */
  dtype: z.string().nullable(),
  /** "completion", and "tools" / "thinking" where the chat template has the markup. */
  capabilities: z.array(z.string()),
};

export const IdleModelRow = z.object({ ...onDisk, loaded: z.literal(false) });
export const LoadedModelRow = z.object({ ...onDisk, ...loadedFields, loaded: z.literal(true) });

export const ModelsResponse = z.object({
  object: z.literal('list'),
  data: z.array(z.discriminatedUnion('loaded', [IdleModelRow, LoadedModelRow])),
});

export const LoadResponse = z.object({ id: z.string(), loaded: z.literal(true), ...loadedFields });
export const UnloadResponse = z.object({ id: z.string(), loaded: z.literal(false) });

export const CancelLoadResponse = z.object({ id: z.string(), cancelled: z.literal(true) });

/** How far one load under way has come: bytes of weights read of the total. */
export const LoadProgressRow = z.object({
  id: z.string(),
  done_bytes: int,
  /** Null while config and tokenizer are still being read. */
  total_bytes: int.nullable(),
  seconds: z.number(),
});

export const MemoryModel = z.object({
  id: z.string(),
  footprint_bytes: int,
  weights: Weights,
  pinned: z.boolean(),
  /** The models it was loaded with as their draft: it is evicted and unloaded with them. */
  draft_of: z.array(z.string()),
});

/** The prefix cache on disk (all zero when it is off). */
export const DiskPrefixCache = z.object({
  bytes: int,
  budget_bytes: int,
  entries: int,
});

export const MemoryResponse = z.object({
  limit_bytes: int,
  active_bytes: int,
  /** Pinned or busy models keep memory above the limit, or more models than max_models are loaded. */
  over_limit: z.boolean(),
  peak_bytes: int,
  cache_bytes: int,
  prefix_cache_bytes: int,
  disk_prefix_cache: DiskPrefixCache,
  max_models: int,
  models: z.array(MemoryModel),
  /** Loads under way: their files must not be deleted either. */
  loading: z.array(z.string()),
  /** The same loads, with their progress. */
  loads: z.array(LoadProgressRow),
  ...slots,
});

export const MemoryUpdateResponse = MemoryResponse.extend({
  /** Unloaded at once because they no longer fit. */
  evicted: z.array(z.string()),
});

/** Token counts with a loaded model's own tokenizer; an idle model is not loaded for it (counts null). */
export const TokenizeResponse = z.object({
  id: z.string(),
  loaded: z.boolean(),
  counts: z.array(int).nullable(),
  context_window: int,
  context_length: int.nullable(),
});

export const ImportGgufResponse = z.object({
  id: z.string(),
  imported: z.literal(true),
  repo_id: z.string(),
  path: z.string(),
  revision: z.string(),
  architecture: z.string(),
  /** {group_size, bits, mode} plus per-module overrides; null when unquantized. */
  quantization: z.record(z.string(), z.unknown()).nullable(),
  tensor_types: z.record(z.string(), int),
  seconds: z.number(),
  warnings: z.array(z.string()),
});

/** Request bodies (the sidecar refuses unknown keys with 400). */
export interface LoadRequest {
  model: string;
  pin?: boolean;
  ttl_seconds?: number;
  context_length?: number;
  /** Profile stops, merged with each request's. */
  stop?: string[];
  /** Profile override of the detected tool-call format. */
  tool_format?: string;
  /** A draft model loaded with it (same tokenizer checked; a 400 draft_tokenizer_mismatch otherwise). */
  draft_model?: string;
}

export interface MemoryUpdate {
  limit_bytes?: number;
  max_models?: number;
}

export interface ImportGgufRequest {
  path: string;
  repo_id: string;
}

export type HealthResponse = z.infer<typeof HealthResponse>;
export type CapabilitiesResponse = z.infer<typeof CapabilitiesResponse>;
export type ModelsResponse = z.infer<typeof ModelsResponse>;
export type AdminModelRow = ModelsResponse['data'][number];
export type LoadResponse = z.infer<typeof LoadResponse>;
export type UnloadResponse = z.infer<typeof UnloadResponse>;
export type CancelLoadResponse = z.infer<typeof CancelLoadResponse>;
export type MemoryResponse = z.infer<typeof MemoryResponse>;
export type MemoryUpdateResponse = z.infer<typeof MemoryUpdateResponse>;
export type ImportGgufResponse = z.infer<typeof ImportGgufResponse>;
export type TokenizeResponse = z.infer<typeof TokenizeResponse>;
