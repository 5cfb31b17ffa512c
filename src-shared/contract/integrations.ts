// The Integrations page: this instance's API address, whether callers need a key, and the model names a
// client may ask for (with their windows), which the page fills into ready-to-copy client settings.
import { z } from 'zod';
import { Empty, method } from './common.ts';

export const IntegrationModel = z.object({
  id: z.string(),
  kind: z.enum(['local', 'alias', 'profile', 'route']),
  /** The window requests are checked against, where the name ends at a local model Orchard describes. */
  contextLength: z.number().int().positive().nullable(),
});
export type IntegrationModel = z.infer<typeof IntegrationModel>;

export const IntegrationsInfo = z.object({
  /** `http://127.0.0.1:8765/v1`; null while the API is not served. */
  apiBaseUrl: z.string().nullable(),
  /** "Require API key" is on, or the API is bound beyond loopback. */
  keyRequired: z.boolean(),
  models: z.array(IntegrationModel),
});
export type IntegrationsInfo = z.infer<typeof IntegrationsInfo>;

export const integrationMethods = {
  'integrations.info': method(Empty, IntegrationsInfo),
} as const;
