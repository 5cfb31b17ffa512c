// GET /v1/models and /v1/models/{id}: every name a client may send (local repo ids, aliases, profiles,
// routed names), in the OpenAI or the Anthropic listing shape.
import type { GatewaySettings } from '#shared/contract/gatewaySettings.ts';
import { GatewayError, type Protocol } from '../errors.ts';
import type { Breakers } from '../routing/breaker.ts';
import { aliasTarget, availableNames, type RouteContext } from '../routing/explain.ts';
import type { RoutingService } from '../routing/service.ts';
import type { ModelMetadata, ModelMetadataSource } from './modelMetadata.ts';

export type ModelKind = 'local' | 'alias' | 'profile' | 'route';

export interface DescribedModel {
  id: string;
  kind: ModelKind;
  /** The local model the name ends at (a profile's window applied); null for routed names. */
  meta: ModelMetadata | null;
}

export interface ModelListing {
  listModels(): Promise<Array<{ id: string; kind: ModelKind }>>;
  /** Every name with what is known of the local model behind it (for LM Studio's and Ollama's APIs). */
  describedModels(): Promise<DescribedModel[]>;
  /** The listing (id null) or one model, as the body of a reply in the caller's protocol. */
  modelsResponse(protocol: Protocol, id: string | null): Promise<{ status: number; body: object }>;
}

export function modelListing(deps: {
  routing: RoutingService;
  breakers: Breakers;
  settings: () => GatewaySettings;
  /** The local repo ids, at most a second old: listings are off the request path. */
  localModels: () => Promise<string[]>;
  now: () => number;
  /** Window, loaded state, capabilities, quantization of local models (absent: ids only). */
  metadata?: ModelMetadataSource;
}): ModelListing {
  const { routing, breakers, now } = deps;
  async function listModels() {
    return (await named()).list;
  }

  async function named() {
    const ctx = routing.context(await deps.localModels(), breakers, deps.settings());
    const kind = (id: string) =>
      ctx.localModels.includes(id)
        ? ('local' as const)
        : Object.hasOwn(ctx.aliases, id)
          ? ('alias' as const)
          : ctx.profiles.some((p) => p.name === id)
            ? ('profile' as const)
            : ('route' as const);
    return { ctx, list: availableNames(ctx).map((id) => ({ id, kind: kind(id) })) };
  }

  async function describedModels(): Promise<DescribedModel[]> {
    const [{ ctx, list }, metadata] = await Promise.all([named(), deps.metadata?.all() ?? []]);
    const metaOf = describe(ctx, metadata);
    return list.map((m) => ({ ...m, meta: metaOf(m.id) }));
  }

  async function modelsResponse(
    protocol: Protocol,
    id: string | null,
  ): Promise<{ status: number; body: object }> {
    const all = protocol === 'openai' ? await describedModels() : await listModels();
    const created = Math.floor(now() / 1000);
    const oa = (m: { id: string; kind: string; meta?: ModelMetadata | null }) => ({
      id: m.id,
      object: 'model',
      created,
      owned_by: `orchard-${m.kind}`,
      // What LM Studio-minded clients read from /v1/models, where the name ends at a local model.
      ...(m.meta
        ? {
            context_length: m.meta.contextLength,
            max_context_length: m.meta.maxContextLength,
            loaded: m.meta.loaded,
            capabilities: m.meta.capabilities,
            quantization: m.meta.quantizationLabel,
          }
        : {}),
    });
    const an = (m: { id: string; kind: string }) => ({
      type: 'model',
      id: m.id,
      display_name: m.id,
      created_at: new Date(created * 1000).toISOString(),
    });
    if (id !== null) {
      const m = all.find((x) => x.id === id);
      if (!m)
        throw new GatewayError(
          404,
          'model_not_found',
          `The model '${id}' does not exist.`,
          'model',
        );
      return { status: 200, body: protocol === 'anthropic' ? an(m) : oa(m) };
    }
    if (protocol === 'anthropic') {
      return {
        status: 200,
        body: {
          data: all.map(an),
          has_more: false,
          first_id: all[0]?.id ?? null,
          last_id: all.at(-1)?.id ?? null,
        },
      };
    }
    return { status: 200, body: { object: 'list', data: all.map(oa) } };
  }

  return { listModels, describedModels, modelsResponse };
}

/**
 * The local model a name ends at: its own, an alias's target's, or a profile's model's with the profile's
 * context_length as its window. Routed names (and models the sidecar did not describe) get null.
 */
function describe(
  ctx: RouteContext,
  metadata: ModelMetadata[],
): (id: string) => ModelMetadata | null {
  const byId = new Map(metadata.map((m) => [m.id, m]));
  const local = (name: string) => byId.get(aliasTarget(ctx.aliases, name) ?? name);
  return (id) => {
    // In the order routing resolves a name: a local id or alias first, then a profile.
    const direct = local(id);
    if (direct) return direct;
    const profile = ctx.profiles.find((p) => p.name === id);
    const m = profile ? local(profile.model) : undefined;
    if (!m) return null;
    const window = profile!.params.context_length;
    return typeof window === 'number' ? { ...m, contextLength: window } : m;
  };
}
