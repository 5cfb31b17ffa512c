// Settings keys the gateway reads from the `settings` table, with their defaults: auth, CORS,
// limits, timeouts, the circuit breaker, audit retention and model aliases.
import { z } from 'zod';

export const GatewaySettings = z.object({
  'gateway.requireApiKey': z.boolean().default(false),
  'gateway.corsOrigins': z.array(z.string().min(1)).default([]),
  'gateway.maxBodyBytes': z
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
  'gateway.firstTokenTimeoutMs': z.number().int().positive().default(120_000),
  'gateway.breakerFailures': z.number().int().positive().default(3),
  'gateway.breakerCooldownMs': z.number().int().positive().default(30_000),
  'gateway.auditMaxAgeDays': z.number().positive().default(90),
  'gateway.auditMaxRows': z.number().int().positive().default(1_000_000),
  /** alias → local repo id */
  'gateway.aliases': z.record(z.string(), z.string()).default({}),
});
export type GatewaySettings = z.infer<typeof GatewaySettings>;
