// Models on disk: the library (Hugging Face cache and user folders), deleting a model, and
// importing a GGUF file as an MLX model (done by the sidecar's importer).
import { z } from 'zod';
import { method, RepoId } from './common.ts';

export const ModelKind = z.enum(['text', 'vision', 'embeddings', 'audio']);
/** From the kind, by core's one rule (hub/modelConfig.ts modelCapabilities), in /v1/models' words. */
export const ModelCapability = z.enum(['completion', 'vision', 'embeddings']);
export const Quantization = z
  .object({ bits: z.number(), groupSize: z.number().nullable(), method: z.string().nullable() })
  .nullable();

export const LibraryModelSchema = z.object({
  repoId: z.string(),
  source: z.enum(['hf-cache', 'folder']),
  path: z.string(),
  revision: z.string().nullable(),
  sizeBytes: z.number(),
  files: z.number(),
  kind: ModelKind,
  capabilities: z.array(ModelCapability),
  modelType: z.string().nullable(),
  architectures: z.array(z.string()),
  quantization: Quantization,
  lastUsedAt: z.number().nullable(),
  loaded: z.boolean(),
});

export const GgufPath = z
  .string()
  .trim()
  .min(1, 'enter the path of a .gguf file')
  .max(4096)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'use an absolute path')
  .refine((p) => /\.gguf$/i.test(p), 'the file must end in .gguf');

/** The sidecar importer's rule (org/name of letters, digits, dot, dash and underscore), without the `--` that the
 * cache folder name could not tell from the org/name separator. */
export const ImportRepoId = z
  .string()
  .trim()
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a name like local/my-model')
  .refine((s) => !s.includes('..') && !s.includes('--'), 'a name like local/my-model');

export const ImportGgufInput = z.object({ path: GgufPath, repoId: ImportRepoId }).strict();

export const libraryMethods = {
  'library.list': method(z.object({}).strict(), z.array(LibraryModelSchema)),
  'library.delete': method(
    z.object({ repoId: RepoId }).strict(),
    z.object({ repoId: z.string(), freedBytes: z.number() }),
  ),
} as const;

export const ggufImportMethods = {
  'models.importGguf': method(
    ImportGgufInput,
    z.object({ id: z.string(), imported: z.literal(true) }),
  ),
} as const;
