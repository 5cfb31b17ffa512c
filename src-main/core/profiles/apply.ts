// Turns a request addressed to a profile into a request for the profile's model.
// Pure: request values win, stops merge, the profile's system prompt fills in only when absent.
import type { Profile } from '#shared/contract/profiles.ts';

type Json = Record<string, unknown>;

const SAMPLING = [
  'temperature',
  'top_p',
  'top_k',
  'min_p',
  'repetition_penalty',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'reasoning_budget',
  'tool_format',
  // An Orchard extension the sidecar reads on both APIs (refuse, or drop the oldest turns).
  'context_overflow',
  // The KV cache in 4 or 8 bits, read by the sidecar on both APIs.
  'kv_bits',
  // Orchard's speculative decoding ("none", prompt lookup or a draft model), read on both APIs.
  'speculative',
] as const;

function stopList(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

export function applyProfile(profile: Pick<Profile, 'model' | 'params'>, request: Json): Json {
  const p = profile.params;
  const out: Json = { ...request, model: profile.model };

  for (const key of SAMPLING) {
    if (out[key] === undefined && p[key] !== undefined) out[key] = p[key];
  }
  if (
    out.max_tokens === undefined &&
    out.max_completion_tokens === undefined &&
    p.max_tokens !== undefined
  ) {
    out.max_tokens = p.max_tokens;
  }

  const stops = [...new Set([...(p.stop ?? []), ...stopList(request.stop)])];
  if (stops.length > 0) out.stop = stops;

  if (p.thinking !== undefined) {
    const kwargs = (request.chat_template_kwargs ?? {}) as Json;
    if (kwargs.enable_thinking === undefined) {
      out.chat_template_kwargs = { ...kwargs, enable_thinking: p.thinking };
    }
  }

  const messages = Array.isArray(request.messages) ? (request.messages as Json[]) : undefined;
  if (p.system_prompt && messages) {
    const hasSystem = messages.some((m) => m.role === 'system' || m.role === 'developer');
    if (!hasSystem) out.messages = [{ role: 'system', content: p.system_prompt }, ...messages];
  }
  return out;
}

/** Load options the sidecar takes from a profile (POST /admin/models/load). */
export function loadOptions(profile: Pick<Profile, 'model' | 'params'>): {
  model: string;
  pin: boolean;
  ttl_seconds?: number;
  context_length?: number;
  draft_model?: string;
} {
  const p = profile.params;
  // A profile's draft model is loaded with its model, so the first answer does not wait for it.
  const draft =
    typeof p.speculative === 'object' && 'draft_model' in p.speculative
      ? p.speculative.draft_model
      : undefined;
  return {
    model: profile.model,
    pin: p.keep_loaded === true,
    ...(p.idle_ttl_seconds !== undefined ? { ttl_seconds: p.idle_ttl_seconds } : {}),
    ...(p.context_length !== undefined ? { context_length: p.context_length } : {}),
    ...(draft ? { draft_model: draft } : {}),
  };
}
