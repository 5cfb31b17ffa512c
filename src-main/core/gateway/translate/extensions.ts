// Orchard's own request fields that every front-end hands on to the chat request unchanged:
// `speculative` and `kv_bits`. The sidecar validates them (a 400 naming the field), as on /v1/chat/completions.
import type { Json } from './shapes.ts';

const EXTENSIONS = ['speculative', 'kv_bits'] as const;

/** The extensions present in `body` (a key absent or null is left out, so a profile can fill it in). */
export function orchardExtensions(body: Json | null | undefined): Json {
  const out: Json = {};
  for (const key of EXTENSIONS) {
    const v = body?.[key];
    if (v !== undefined && v !== null) out[key] = v;
  }
  return out;
}
