// What Orchard knows about each local model for the listings clients read (/v1/models, LM Studio's
// /api/v0/models, Ollama's /api/tags and /api/show): window, loaded state, capabilities, quantization.
import type { AdminModelRow } from '../../sidecar/index.ts';

export interface ModelMetadata {
  /** The repo id (or absolute path) the sidecar serves it under. */
  id: string;
  /** The window requests are checked against: the loaded profile's context_length, else its config's. */
  contextLength: number;
  /** The window its config declares (max_position_embeddings and kin; 32768 when it names none). */
  maxContextLength: number;
  loaded: boolean;
  /** The window it is loaded with; null while not loaded. */
  loadedContextLength: number | null;
  /** 'completion', plus 'tools' and 'thinking' where the chat template has the markup Orchard parses. */
  capabilities: string[];
  /** config.json model_type ('llama', 'qwen3', …). */
  architecture: string | null;
  quantization: { bits: number; groupSize: number | null; mode: string | null } | null;
  /** '4bit' for a quantized model, else its dtype ('bf16'); null when the config says neither. */
  quantizationLabel: string | null;
  dtype: string | null;
  sizeBytes: number;
  /** The organisation of a repo id ('mlx-community'); null for a model named by path. */
  publisher: string | null;
  path: string;
  revision: string | null;
}

export interface ModelMetadataSource {
  /** Every local model the sidecar knows, at most `maxAgeMs` old; [] when it cannot say. */
  all(): Promise<ModelMetadata[]>;
  /** One model by id, or null. */
  get(id: string): Promise<ModelMetadata | null>;
  /** Forgets the remembered list (a model was just downloaded or deleted): the next call asks again. */
  invalidate?(): void;
}

const DTYPE_LABELS: Record<string, string> = {
  bfloat16: 'bf16',
  float16: 'f16',
  float32: 'f32',
};

export function toMetadata(row: AdminModelRow): ModelMetadata {
  const q = row.quantization;
  const loadedContextLength = row.loaded ? (row.context_length ?? row.context_window) : null;
  return {
    id: row.id,
    contextLength: loadedContextLength ?? row.context_window,
    maxContextLength: row.context_window,
    loaded: row.loaded,
    loadedContextLength,
    capabilities: row.capabilities,
    architecture: row.architecture,
    quantization: q ? { bits: q.bits, groupSize: q.group_size, mode: q.mode } : null,
    quantizationLabel: q
      ? `${q.bits}bit`
      : row.dtype
        ? (DTYPE_LABELS[row.dtype] ?? row.dtype)
        : null,
    dtype: row.dtype,
    sizeBytes: row.size_bytes,
    publisher: row.id.startsWith('/') || !row.id.includes('/') ? null : row.id.split('/')[0]!,
    path: row.path,
    revision: row.revision,
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/**
 * Metadata from the sidecar's /admin/models (one call describes every model; the sidecar caches what it
 * reads from files), remembered for `maxAgeMs` so a burst of listings asks once.
 */
export function modelMetadata(
  adminModels: () => Promise<AdminModelRow[]>,
  opts: { maxAgeMs?: number; timeoutMs?: number; now?: () => number } = {},
): ModelMetadataSource {
  const maxAgeMs = opts.maxAgeMs ?? 1000;
  // A sidecar that is starting or busy loading must not hold a listing up.
  const timeoutMs = opts.timeoutMs ?? 2000;
  const now = opts.now ?? Date.now;
  let cached: { at: number; list: ModelMetadata[] } | null = null;
  let inflight: Promise<ModelMetadata[]> | null = null;

  const all = (): Promise<ModelMetadata[]> => {
    if (cached && now() - cached.at < maxAgeMs) return Promise.resolve(cached.list);
    return (inflight ??= (async () => {
      try {
        const list = (await withTimeout(adminModels(), timeoutMs)).map(toMetadata);
        cached = { at: now(), list };
        return list;
      } catch {
        // A sidecar that is restarting: listings go on with what was known, or without metadata.
        return cached?.list ?? [];
      } finally {
        inflight = null;
      }
    })());
  };
  return {
    all,
    get: async (id) => (await all()).find((m) => m.id === id) ?? null,
    invalidate: () => {
      cached = null;
    },
  };
}
