// Profiles: a model with sampling and serving parameters under a name that the API accepts as a
// model name. Field names follow the OpenAI request body, so a profile maps onto a request.
import { z } from 'zod';
import { Empty, method, Ok } from './common.ts';

const Id = z.object({ id: z.string().min(1) }).strict();

export const SamplingParams = z.object({
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  min_p: z.number().min(0).max(1).optional(),
  repetition_penalty: z.number().gt(0).optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
});

/**
 * Speculative decoding (Orchard's sidecar): `"none"`, `{ method: "prompt_lookup" }` (proposals from the
 * prompt's own n-grams) or `{ draft_model: "REPO" }` (a small model with the same tokenizer).
 */
export const Speculative = z.union([
  z.literal('none'),
  z.object({ method: z.enum(['prompt_lookup', 'none']) }).strict(),
  z.object({ draft_model: z.string().trim().min(1).max(1024) }).strict(),
]);
export type Speculative = z.infer<typeof Speculative>;

export const ProfileParams = SamplingParams.extend({
  system_prompt: z.string().max(100_000).optional(),
  max_tokens: z.number().int().min(1).optional(),
  context_length: z.number().int().min(1).optional(),
  stop: z.array(z.string().min(1).max(1000)).max(32).optional(),
  thinking: z.boolean().optional(),
  reasoning_budget: z.number().int().min(0).optional(),
  seed: z.number().int().optional(),
  /** Pin: load at start-up and never evict. */
  keep_loaded: z.boolean().optional(),
  idle_ttl_seconds: z.number().positive().optional(),
  /** Override of the tool-call format detected from the chat template (e.g. "hermes"). */
  tool_format: z.string().min(1).max(64).optional(),
  /**
   * A prompt longer than the window: refused with the numbers (default), or shortened by dropping the
   * oldest turns (the system prompt and the last question stay).
   */
  context_overflow: z.enum(['refuse', 'drop_oldest']).optional(),
  /** The KV cache held in 4 or 8 bits (about a quarter or half of its memory; the group size is the engine's). */
  kv_bits: z.union([z.literal(4), z.literal(8)]).optional(),
  speculative: Speculative.optional(),
}).strict();
export type ProfileParams = z.infer<typeof ProfileParams>;

export const ProfileName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  // A profile is addressable as a model name in the API; keep it free of control characters.
  .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters');

export const ProfileInput = z
  .object({
    name: ProfileName,
    model: z.string().trim().min(1).max(1024),
    params: ProfileParams.default({}),
  })
  .strict();
export type ProfileInput = z.infer<typeof ProfileInput>;

export const ProfilePatch = z
  .object({
    name: ProfileName.optional(),
    model: z.string().trim().min(1).max(1024).optional(),
    params: ProfileParams.optional(),
  })
  .strict();
export type ProfilePatch = z.infer<typeof ProfilePatch>;

export const Profile = z.object({
  id: z.string(),
  name: z.string(),
  model: z.string(),
  params: ProfileParams,
  isDefault: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Profile = z.infer<typeof Profile>;

export const profileMethods = {
  'profiles.list': method(Empty, z.array(Profile)),
  'profiles.get': method(Id, Profile),
  'profiles.create': method(ProfileInput, Profile),
  'profiles.update': method(
    z.object({ id: z.string().min(1), patch: ProfilePatch }).strict(),
    Profile,
  ),
  'profiles.duplicate': method(
    z
      .object({ id: z.string().min(1), name: z.string().trim().min(1).max(100).optional() })
      .strict(),
    Profile,
  ),
  'profiles.delete': method(Id, Ok),
  'profiles.setDefault': method(Id, Profile),
} as const;
