// GET /v1/models and /v1/models/{id}: every name a client may send (local repo ids, aliases, profiles,
// routed names), in the OpenAI or the Anthropic listing shape.
import type { GatewaySettings } from '#shared/contract/gatewaySettings.ts';
import { GatewayError, type Protocol } from '../errors.ts';
import type { Breakers } from '../routing/breaker.ts';
import { availableNames } from '../routing/explain.ts';
import type { RoutingService } from '../routing/service.ts';

export type ModelKind = 'local' | 'alias' | 'profile' | 'route';

export interface ModelListing {
  listModels(): Promise<Array<{ id: string; kind: ModelKind }>>;
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
}): ModelListing {
  const { routing, breakers, now } = deps;
  async function listModels() {
    const ctx = routing.context(await deps.localModels(), breakers, deps.settings());
    const kind = (id: string) =>
      ctx.localModels.includes(id)
        ? ('local' as const)
        : Object.hasOwn(ctx.aliases, id)
          ? ('alias' as const)
          : ctx.profiles.some((p) => p.name === id)
            ? ('profile' as const)
            : ('route' as const);
    return availableNames(ctx).map((id) => ({ id, kind: kind(id) }));
  }

  async function modelsResponse(
    protocol: Protocol,
    id: string | null,
  ): Promise<{ status: number; body: object }> {
    const all = await listModels();
    const created = Math.floor(now() / 1000);
    const oa = (m: { id: string; kind: string }) => ({
      id: m.id,
      object: 'model',
      created,
      owned_by: `orchard-${m.kind}`,
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

  return { listModels, modelsResponse };
}
