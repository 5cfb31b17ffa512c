// The portable config file (profiles, routing rules, providers) that `config export` writes and
// `config import` reads; provider keys appear only in exports made with secrets.
import { z } from 'zod';
import { method } from './common.ts';
import { ProfileName, ProfileParams } from './profiles.ts';

const Name = z.string().trim().min(1).max(1024);

/** Where a request can go; same shape as the gateway's Target. */
export const Target = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local'), model: Name }).strict(),
  z.object({ kind: z.literal('profile'), profile: Name }).strict(),
  z.object({ kind: z.literal('provider'), providerId: Name, model: Name }).strict(),
]);

export const RoutingRuleConfig = z
  .object({
    id: z.string().min(1).max(200),
    priority: z.number().int(),
    /** Exact model name or a glob with `*` and `?` (never a regular expression). */
    pattern: z.string().min(1).max(1024),
    target: Target,
    fallbacks: z.array(Target).max(16).default([]),
    enabled: z.boolean().default(true),
  })
  .strict();

export const ProviderConfig = z
  .object({
    id: z.string().min(1).max(200),
    name: z.string().trim().min(1).max(200),
    format: z.enum(['openai', 'anthropic']),
    baseUrl: z.url({ protocol: /^https?$/ }),
    models: z.array(Name).max(1000).default([]),
    /** Plaintext, present only in exports made with --with-secrets; absent keeps the stored key (dropped
     * instead when baseUrl moves the provider to another origin). */
    apiKey: z.string().min(1).nullable().optional(),
  })
  .strict();

export const ProfileConfig = z
  .object({
    name: ProfileName,
    model: Name,
    params: ProfileParams.default({}),
    isDefault: z.boolean().default(false),
  })
  .strict();

export const ConfigFile = z
  .object({
    orchard: z.literal(1),
    profiles: z.array(ProfileConfig).default([]),
    routingRules: z.array(RoutingRuleConfig).default([]),
    providers: z.array(ProviderConfig).default([]),
  })
  .strict();
export type ConfigFile = z.infer<typeof ConfigFile>;
export type ConfigFileInput = z.input<typeof ConfigFile>;

export const configFileMethods = {
  'config.export': method(
    z.object({ withSecrets: z.boolean().default(false) }).strict(),
    ConfigFile,
  ),
  'config.import': method(
    z.object({ config: z.unknown() }).strict(),
    z.object({
      profiles: z.number(),
      routingRules: z.number(),
      providers: z.number(),
      /** Providers whose stored key was dropped: the file moved them to another origin without a key. */
      keysDropped: z.array(z.string()),
    }),
  ),
} as const;
