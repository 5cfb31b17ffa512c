// Token counts as either protocol reports them, for the audit row: OpenAI's prompt/completion tokens,
// Anthropic's input/output tokens. Missing or non-numeric counts stay null rather than guessed.
import type { Protocol } from '../errors.ts';
import type { Json } from './shapes.ts';

export interface Usage {
  promptTokens: number | null;
  completionTokens: number | null;
}

export function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function usageOf(protocol: Protocol, body: Json): Usage {
  const u = (body.usage ?? {}) as Json;
  if (protocol === 'anthropic') {
    return {
      promptTokens: num(u.input_tokens) ?? num(body.input_tokens),
      completionTokens: num(u.output_tokens),
    };
  }
  return { promptTokens: num(u.prompt_tokens), completionTokens: num(u.completion_tokens) };
}
