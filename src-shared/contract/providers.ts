// Cloud and remote providers (OpenAI- or Anthropic-format endpoints) as the gateway stores them
// and the Routing screen edits them, with the test call; keys are write-only for the UI.
import { z } from 'zod';
import { method, Ok } from './common.ts';

const Id = z.object({ id: z.string().min(1).max(200) }).strict();

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL')
  .transform((u) => u.replace(/\/+$/, ''));

const providerFields = {
  name: z.string().trim().min(1).max(100),
  format: z.enum(['openai', 'anthropic']),
  baseUrl: httpUrl,
  models: z.array(z.string().trim().min(1).max(512)).max(1000),
  apiKey: z.string().min(1).max(4096).nullable(),
};

export const ProviderInput = z
  .object({
    ...providerFields,
    models: providerFields.models.default([]),
    apiKey: providerFields.apiKey.default(null),
  })
  .strict();
export type ProviderInput = z.input<typeof ProviderInput>;

/** No defaults here: an absent field means "keep the stored value". */
export const ProviderPatch = z.object(providerFields).partial().strict();
export type ProviderPatch = z.input<typeof ProviderPatch>;

export const ProviderView = z.object({
  id: z.string(),
  name: z.string(),
  format: z.enum(['openai', 'anthropic']),
  baseUrl: z.string(),
  models: z.array(z.string()),
  hasApiKey: z.boolean(),
});

export const providerMethods = {
  'providers.add': method(ProviderInput, ProviderView),
  /** Without a new apiKey, a baseUrl on another origin drops the stored key (keyDropped: true). */
  'providers.update': method(
    z.object({ id: z.string().min(1).max(200), patch: ProviderPatch }).strict(),
    ProviderView.extend({ keyDropped: z.boolean() }),
  ),
  'providers.remove': method(Id, Ok),
  'providers.test': method(
    Id,
    z.object({
      ok: z.boolean(),
      status: z.number().nullable(),
      latencyMs: z.number(),
      models: z.array(z.string()),
      error: z.string().nullable(),
    }),
  ),
} as const;
