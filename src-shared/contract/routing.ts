// Routing rules as the gateway accepts them and the Routing screen edits them, and the route
// explanation; the UI validates a rule with exactly the schema the gateway checks.
import { z } from 'zod';
import { method, Ok } from './common.ts';
import { ProviderView } from './providers.ts';

const name = z.string().trim().min(1).max(1024);
const Id = z.object({ id: z.string().min(1).max(200) }).strict();

export const TargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local'), model: name }).strict(),
  z.object({ kind: z.literal('profile'), profile: name }).strict(),
  z
    .object({ kind: z.literal('provider'), providerId: z.string().min(1).max(200), model: name })
    .strict(),
]);

export const RuleInput = z
  .object({
    pattern: z.string().min(1).max(512),
    target: TargetSchema,
    fallbacks: z.array(TargetSchema).max(16).default([]),
    enabled: z.boolean().default(true),
    priority: z.number().int().optional(),
  })
  .strict();
export type RuleInput = z.input<typeof RuleInput>;

export const RouteRuleView = z.object({
  id: z.string(),
  priority: z.number(),
  pattern: z.string(),
  target: TargetSchema,
  fallbacks: z.array(TargetSchema),
  enabled: z.boolean(),
});

export const RouteExplanationView = z.object({
  model: z.string(),
  matched: z
    .object({
      kind: z.string(),
      ruleId: z.string().optional(),
      pattern: z.string().optional(),
      priority: z.number().optional(),
    })
    .nullable(),
  candidates: z.array(
    z.object({
      label: z.string(),
      skipped: z.string().optional(),
      position: z.number(),
      usable: z.boolean(),
    }),
  ),
  steps: z.array(z.string()),
  available: z.array(z.string()).optional(),
});

export const routingMethods = {
  'routing.list': method(
    z.object({}).strict(),
    z.object({ rules: z.array(RouteRuleView), providers: z.array(ProviderView) }),
  ),
  'routing.addRule': method(RuleInput, RouteRuleView),
  'routing.updateRule': method(
    z.object({ id: z.string().min(1).max(200), patch: RuleInput.partial() }).strict(),
    RouteRuleView,
  ),
  'routing.removeRule': method(Id, Ok),
  /** The new order, highest priority first; must name every rule once. */
  'routing.reorder': method(
    z.object({ ids: z.array(z.string().min(1).max(200)).max(10_000) }).strict(),
    z.array(RouteRuleView),
  ),
  'routing.explain': method(
    z.object({ model: z.string().trim().min(1).max(1024) }).strict(),
    RouteExplanationView,
  ),
} as const;
