// A profile as the form edits it (every field as text) and back: parsing, zod validation with the
// contract's ProfileInput, and one message per field.
import { ProfileInput, type ProfileParams } from '#shared/contract/profiles.ts';
import { humanize, lines, parseOptionalNumber, type FieldErrors } from '../../lib/ui/validation.ts';

export const NUMBER_FIELDS = [
  { key: 'temperature', label: 'Temperature', hint: '0 to 2' },
  { key: 'top_p', label: 'Top P', hint: 'above 0, up to 1' },
  { key: 'top_k', label: 'Top K', hint: 'whole number, 0 = off' },
  { key: 'min_p', label: 'Min P', hint: '0 to 1' },
  { key: 'repetition_penalty', label: 'Repetition penalty', hint: 'above 0; 1 = off' },
  { key: 'presence_penalty', label: 'Presence penalty', hint: '-2 to 2' },
  { key: 'frequency_penalty', label: 'Frequency penalty', hint: '-2 to 2' },
  { key: 'max_tokens', label: 'Max tokens', hint: 'whole number, at least 1' },
  { key: 'context_length', label: 'Context length', hint: 'tokens the model keeps' },
  { key: 'reasoning_budget', label: 'Reasoning budget', hint: 'thinking tokens, 0 = none' },
  { key: 'seed', label: 'Seed', hint: 'whole number' },
  { key: 'idle_ttl_seconds', label: 'Unload after idle (s)', hint: 'seconds, above 0' },
] as const satisfies ReadonlyArray<{ key: keyof ProfileParams; label: string; hint: string }>;
type NumberKey = (typeof NUMBER_FIELDS)[number]['key'];

export interface Draft {
  name: string;
  model: string;
  system_prompt: string;
  numbers: Record<NumberKey, string>;
  stop: string;
  thinking: 'default' | 'on' | 'off';
  keep_loaded: boolean;
  tool_format: string;
  context_overflow: 'refuse' | 'drop_oldest';
  speculative: 'default' | 'none' | 'prompt_lookup' | 'draft_model';
  draft_model: string;
  kv_bits: 'off' | '8' | '4';
}

/**
 * The KV cache's memory at 4 or 8 bits as a share of the unquantized one, as core's fit estimate counts it
 * (hub/fit.ts): bits/8 bytes a value plus a 16-bit scale and bias per group of 64, against 2 bytes.
 */
export function kvShare(bits: 4 | 8): number {
  return (bits / 8 + (2 * 2) / 64) / 2;
}

/** The one-line hint under the KV cache select: what the choice saves. */
export function kvBitsHint(v: Draft['kv_bits']): string {
  if (v === 'off') return 'At the model’s own precision';
  const share = kvShare(v === '8' ? 8 : 4);
  return `About ${Math.round(share * 100)}% of the KV cache’s memory (${Math.round((1 - share) * 100)}% saved); fit estimates count it`;
}

export function toDraft(p?: { name: string; model: string; params: ProfileParams }): Draft {
  const params = p?.params ?? {};
  const numbers = Object.fromEntries(
    NUMBER_FIELDS.map((f) => [f.key, params[f.key] === undefined ? '' : String(params[f.key])]),
  ) as Record<NumberKey, string>;
  return {
    name: p?.name ?? '',
    model: p?.model ?? '',
    system_prompt: params.system_prompt ?? '',
    numbers,
    stop: (params.stop ?? []).join('\n'),
    thinking: params.thinking === undefined ? 'default' : params.thinking ? 'on' : 'off',
    keep_loaded: params.keep_loaded ?? false,
    tool_format: params.tool_format ?? '',
    context_overflow: params.context_overflow ?? 'refuse',
    ...speculativeDraft(params.speculative),
    kv_bits: params.kv_bits === 8 ? '8' : params.kv_bits === 4 ? '4' : 'off',
  };
}

function speculativeDraft(
  s: ProfileParams['speculative'],
): Pick<Draft, 'speculative' | 'draft_model'> {
  if (s === undefined) return { speculative: 'default', draft_model: '' };
  if (s === 'none') return { speculative: 'none', draft_model: '' };
  if ('draft_model' in s) return { speculative: 'draft_model', draft_model: s.draft_model };
  return { speculative: s.method, draft_model: '' };
}

export type DraftResult = { ok: true; value: ProfileInput } | { ok: false; errors: FieldErrors };

/** Field key of a zod issue path: `name`, `model`, or the param name (`temperature`, `stop` …). */
function fieldOf(path: PropertyKey[]): string {
  const [head, sub] = path;
  return head === 'params' && sub !== undefined ? String(sub) : String(head ?? '_form');
}

export function fromDraft(d: Draft): DraftResult {
  const errors: FieldErrors = {};
  const params: Record<string, unknown> = {};
  for (const f of NUMBER_FIELDS) {
    const r = parseOptionalNumber(d.numbers[f.key]);
    if (!r.ok) errors[f.key] = r.message;
    else if (r.value !== undefined) params[f.key] = r.value;
  }
  if (d.system_prompt !== '') params.system_prompt = d.system_prompt;
  const stop = lines(d.stop);
  if (stop.length) params.stop = stop;
  if (d.thinking !== 'default') params.thinking = d.thinking === 'on';
  if (d.keep_loaded) params.keep_loaded = true;
  if (d.tool_format.trim() !== '') params.tool_format = d.tool_format.trim();
  if (d.context_overflow === 'drop_oldest') params.context_overflow = 'drop_oldest';
  if (d.speculative === 'none') params.speculative = 'none';
  else if (d.speculative === 'prompt_lookup') params.speculative = { method: 'prompt_lookup' };
  else if (d.speculative === 'draft_model') {
    if (d.draft_model.trim() === '') errors.speculative = 'Name the draft model (a repo id).';
    else params.speculative = { draft_model: d.draft_model.trim() };
  }
  if (d.kv_bits !== 'off') params.kv_bits = Number(d.kv_bits);
  const parsed = ProfileInput.safeParse({ name: d.name, model: d.model, params });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) errors[fieldOf(issue.path)] ??= humanize(issue);
  }
  if (Object.keys(errors).length || !parsed.success) return { ok: false, errors };
  return { ok: true, value: parsed.data };
}
