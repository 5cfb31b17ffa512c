// Model discovery on the Hugging Face Hub: search, and one model's details with its files, card
// and an estimate of whether it fits in memory.
import { z } from 'zod';
import { method, RepoId, Revision } from './common.ts';
import { ModelCapability, ModelKind, Quantization } from './library.ts';

export const SearchInput = z
  .object({
    query: z.string().max(200).optional(),
    author: z.string().max(96).optional(),
    library: z.string().max(64).optional(),
    task: z.string().max(64).optional(),
    sort: z.enum(['downloads', 'likes', 'trending', 'recent']).optional(),
    page: z.number().int().min(0).max(10_000).default(0),
    pageSize: z.number().int().min(1).max(100).default(30),
  })
  .strict();

export const SearchResult = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      downloads: z.number(),
      likes: z.number(),
      gated: z.union([z.literal(false), z.enum(['auto', 'manual'])]),
      private: z.boolean(),
      task: z.string().nullable(),
      updatedAt: z.string(),
      tags: z.array(z.string()),
    }),
  ),
  page: z.number(),
  pageSize: z.number(),
  hasMore: z.boolean(),
});

export const FitSchema = z.object({
  verdict: z.enum(['fits', 'tight', 'does_not_fit']),
  supported: z.boolean().nullable(),
  weightsBytes: z.number(),
  kvBytes: z.number(),
  overheadBytes: z.number(),
  totalBytes: z.number(),
  limitBytes: z.number(),
  headroomBytes: z.number(),
  contextLength: z.number(),
  notes: z.array(z.string()),
});

export const ModelDetailsSchema = z.object({
  id: z.string(),
  revision: z.string(),
  sha: z.string(),
  gated: z.union([z.literal(false), z.enum(['auto', 'manual'])]),
  private: z.boolean(),
  license: z.string().nullable(),
  tags: z.array(z.string()),
  pipelineTag: z.string().nullable(),
  libraryName: z.string().nullable(),
  downloads: z.number(),
  likes: z.number(),
  lastModified: z.string(),
  files: z.array(
    z.object({
      path: z.string(),
      size: z.number(),
      oid: z.string(),
      lfsSha256: z.string().nullable(),
    }),
  ),
  totalBytes: z.number(),
  weightsBytes: z.number(),
  kind: ModelKind,
  capabilities: z.array(ModelCapability),
  modelType: z.string().nullable(),
  architectures: z.array(z.string()),
  quantization: Quantization,
  /** Already sanitized by core with the card policy (markdownPolicy.ts). */
  cardHtml: z.string().nullable(),
  fit: FitSchema.nullable(),
});

export const hubMethods = {
  'hub.search': method(SearchInput, SearchResult),
  'hub.details': method(
    z
      .object({
        repoId: RepoId,
        revision: Revision.default('main'),
        contextLength: z.number().int().min(1).max(10_000_000).default(8192),
        /** Estimate the KV cache at 4 or 8 bits (a profile's kv_bits). */
        kvBits: z.union([z.literal(4), z.literal(8)]).optional(),
      })
      .strict(),
    ModelDetailsSchema,
  ),
} as const;
