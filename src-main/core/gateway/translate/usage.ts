// Token counts as either protocol reports them, for the audit row: OpenAI's prompt/completion tokens,
// Anthropic's input/output tokens. Missing or non-numeric counts stay null rather than guessed.
import type { Protocol } from '../errors.ts';
import type { AUsage, Json, OAUsage } from './shapes.ts';

export interface Usage {
  promptTokens: number | null;
  completionTokens: number | null;
  /** Speculative decoding's counts, from the sidecar's `usage.orchard.speculative`. */
  specProposed?: number | null;
  specAccepted?: number | null;
}

/** Proposed/accepted counts of a sidecar usage that speculated; {} otherwise. */
export function speculativeOf(u: Json): Pick<Usage, 'specProposed' | 'specAccepted'> {
  const orchard = u.orchard as Json | undefined;
  const spec = (orchard?.speculative ?? undefined) as Json | undefined;
  const proposed = num(spec?.proposed);
  if (proposed === null) return {};
  return { specProposed: proposed, specAccepted: num(spec?.accepted) ?? 0 };
}

export function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * The whole prompt of an Anthropic usage: its input_tokens exclude what was read from (or written to) the
 * prompt cache, which the audit row counts like OpenAI's prompt_tokens does.
 */
export function anthropicPromptTokens(u: Json): number | null {
  const input = num(u.input_tokens);
  if (input === null) return null;
  return input + (num(u.cache_read_input_tokens) ?? 0) + (num(u.cache_creation_input_tokens) ?? 0);
}

/**
 * An OpenAI usage in Anthropic's split: input_tokens exclude the prompt tokens the backend reused from its
 * cache (cached_tokens), which are cache reads; nothing is reported as written.
 */
export function anthropicUsage(
  u: OAUsage | null | undefined,
  outputTokens?: number,
): Required<AUsage> {
  const prompt = num(u?.prompt_tokens) ?? 0;
  const cached = Math.min(prompt, Math.max(0, num(u?.prompt_tokens_details?.cached_tokens) ?? 0));
  return {
    input_tokens: prompt - cached,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    output_tokens: outputTokens ?? num(u?.completion_tokens) ?? 0,
  };
}

export function usageOf(protocol: Protocol, body: Json): Usage {
  const u = (body.usage ?? {}) as Json;
  if (protocol === 'anthropic') {
    return {
      promptTokens: anthropicPromptTokens(u) ?? num(body.input_tokens),
      completionTokens: num(u.output_tokens),
      ...speculativeOf(u),
    };
  }
  return {
    promptTokens: num(u.prompt_tokens),
    completionTokens: num(u.completion_tokens),
    ...speculativeOf(u),
  };
}
