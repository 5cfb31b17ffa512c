// /api/tags, /api/show and /api/ps bodies from what the gateway knows of each name (api/modelMetadata.ts),
// the sidecar's loaded rows and the model's own files (its chat template), in Ollama's field names.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ModelMetadata } from '../api/modelMetadata.ts';
import type { DescribedModel } from '../api/models.ts';
import type { Json } from '../translate/shapes.ts';
import type { AdminModelRow } from '../../sidecar/index.ts';

export type LocalName = DescribedModel & { meta: ModelMetadata };

/** Ollama shows "Forever" for a model with no expiry; its clients read a far-future time. */
const FOREVER = '2318-01-01T00:00:00.000Z';
const TEMPLATE_LIMIT = 1 << 20;

/** A stable id in Ollama's digest form: of the repo id and its snapshot (not a blob's hash). */
export function digestOf(id: string, revision: string | null): string {
  return crypto
    .createHash('sha256')
    .update(`${id}@${revision ?? ''}`)
    .digest('hex');
}

/** Parameters from the size on disk and the bits per weight (scales of quantized groups included). */
export function parameterCount(meta: ModelMetadata): number {
  const q = meta.quantization;
  const bits = q
    ? q.bits + (q.groupSize ? 32 / q.groupSize : 0)
    : meta.dtype === 'float32'
      ? 32
      : 16;
  return Math.round((meta.sizeBytes * 8) / bits);
}

export function parameterSize(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)}B` : `${Math.max(1, Math.round(n / 1e6))}M`;
}

/** Ollama's words for capabilities: a model that makes vectors is "embedding" there (singular), not "embeddings". */
export function ollamaCapabilities(capabilities: readonly string[]): string[] {
  return capabilities.map((c) => (c === 'embeddings' ? 'embedding' : c));
}

/** The hidden size from config.json (a multimodal model's text_config), which Ollama shows as
 * `<arch>.embedding_length`; embedding clients read it as the vector's length. Null when unreadable. */
async function embeddingLength(dir: string): Promise<number | null> {
  try {
    const p = path.join(dir, 'config.json');
    if ((await fs.stat(p)).size > TEMPLATE_LIMIT) return null;
    const c = JSON.parse(await fs.readFile(p, 'utf8')) as {
      hidden_size?: unknown;
      text_config?: { hidden_size?: unknown };
    };
    const v = c.text_config?.hidden_size ?? c.hidden_size;
    return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null;
  } catch {
    return null;
  }
}

export function details(m: LocalName): Json {
  const arch = m.meta.architecture;
  return {
    // An alias or profile is a name for a model; Ollama calls that its parent.
    parent_model: m.id === m.meta.id ? '' : m.meta.id,
    format: 'mlx',
    family: arch ?? '',
    families: arch ? [arch] : null,
    parameter_size: parameterSize(parameterCount(m.meta)),
    quantization_level: m.meta.quantizationLabel ?? '',
  };
}

async function modifiedAt(meta: ModelMetadata): Promise<string> {
  try {
    return (await fs.stat(meta.path)).mtime.toISOString();
  } catch {
    return new Date(0).toISOString();
  }
}

export async function tagsBody(names: readonly LocalName[]): Promise<Json> {
  return {
    models: await Promise.all(
      names.map(async (m) => ({
        name: m.id,
        model: m.id,
        modified_at: await modifiedAt(m.meta),
        size: m.meta.sizeBytes,
        digest: digestOf(m.meta.id, m.meta.revision),
        details: details(m),
      })),
    ),
  };
}

/** The chat template from the model's files: chat_template.jinja, else tokenizer_config.json's. */
export async function chatTemplate(dir: string): Promise<string> {
  const read = async (file: string): Promise<string | null> => {
    try {
      const p = path.join(dir, file);
      if ((await fs.stat(p)).size > TEMPLATE_LIMIT) return null;
      return await fs.readFile(p, 'utf8');
    } catch {
      return null;
    }
  };
  const jinja = await read('chat_template.jinja');
  if (jinja !== null) return jinja;
  const config = await read('tokenizer_config.json');
  if (config === null) return '';
  try {
    const t = (JSON.parse(config) as { chat_template?: unknown }).chat_template;
    if (typeof t === 'string') return t;
    if (Array.isArray(t)) {
      const named = t as Array<{ name?: unknown; template?: unknown }>;
      const d = named.find((x) => x.name === 'default') ?? named[0];
      return typeof d?.template === 'string' ? d.template : '';
    }
  } catch {
    // A tokenizer config that is not JSON: no template to show.
  }
  return '';
}

const PARAMETER_NAMES: Array<[string, string]> = [
  ['temperature', 'temperature'],
  ['top_p', 'top_p'],
  ['top_k', 'top_k'],
  ['min_p', 'min_p'],
  ['repetition_penalty', 'repeat_penalty'],
  ['presence_penalty', 'presence_penalty'],
  ['frequency_penalty', 'frequency_penalty'],
  ['seed', 'seed'],
  ['max_tokens', 'num_predict'],
  ['context_length', 'num_ctx'],
];

/** A profile's parameters as Ollama's Modelfile lines ("temperature 0.7", one `stop` line per stop). */
export function parameterLines(params: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const [ours, theirs] of PARAMETER_NAMES) {
    const v = params[ours];
    if (typeof v === 'number') lines.push(`${theirs} ${v}`);
  }
  const stops = Array.isArray(params.stop) ? params.stop : [];
  for (const s of stops) if (typeof s === 'string') lines.push(`stop ${JSON.stringify(s)}`);
  return lines;
}

export async function showBody(
  m: LocalName,
  profileParams: Record<string, unknown>,
): Promise<Json> {
  const arch = m.meta.architecture ?? 'mlx';
  const params = parameterLines(profileParams);
  const template = await chatTemplate(m.meta.path);
  const width = await embeddingLength(m.meta.path);
  return {
    license: '',
    modelfile: [
      '# Modelfile generated by Orchard',
      `FROM ${m.meta.id}`,
      ...params.map((p) => `PARAMETER ${p}`),
    ].join('\n'),
    parameters: params.join('\n'),
    template,
    details: details(m),
    model_info: {
      'general.architecture': arch,
      'general.basename': m.meta.id,
      'general.parameter_count': parameterCount(m.meta),
      // Where Ollama's clients (VS Code, Open WebUI) read the window.
      [`${arch}.context_length`]: m.meta.contextLength,
      ...(width !== null ? { [`${arch}.embedding_length`]: width } : {}),
    },
    capabilities: ollamaCapabilities(m.meta.capabilities),
    modified_at: await modifiedAt(m.meta),
  };
}

/** Loaded models; `rows` are the sidecar's (for footprint and expiry), `names` what they are listed as. */
export function psBody(
  rows: readonly AdminModelRow[],
  names: readonly LocalName[],
  now: number,
): Json {
  const byId = new Map(names.filter((n) => n.id === n.meta.id).map((n) => [n.id, n]));
  return {
    models: rows.flatMap((r) => {
      if (!r.loaded) return [];
      const n = byId.get(r.id);
      const expires =
        r.ttl_seconds === null
          ? FOREVER
          : new Date(now + Math.max(0, r.ttl_seconds - r.idle_seconds) * 1000).toISOString();
      return [
        {
          name: r.id,
          model: r.id,
          size: r.footprint_bytes,
          digest: digestOf(r.id, r.revision),
          ...(n ? { details: details(n) } : {}),
          expires_at: expires,
          // Apple silicon has one memory: all of it is the GPU's.
          size_vram: r.footprint_bytes,
          context_length: r.context_length ?? r.context_window,
        },
      ];
    }),
  };
}
