// LM Studio's native model listing, GET /api/v0/models and /api/v0/models/{id}, for clients that read
// windows and loaded state there (Zed, Cline): the same names as /v1/models, in LM Studio's fields.
import { GatewayError } from '../errors.ts';
import type { FrontEnd } from '../frontEnd.ts';
import type { DescribedModel, ModelListing } from '../api/models.ts';

const BASE = '/api/v0/models';

function entry(m: DescribedModel & { meta: NonNullable<DescribedModel['meta']> }) {
  const { meta } = m;
  return {
    id: m.id,
    object: 'model',
    // LM Studio's three types: a vision model is a 'vlm', an embedding model 'embeddings'.
    type: meta.capabilities.includes('embeddings')
      ? 'embeddings'
      : meta.capabilities.includes('vision')
        ? 'vlm'
        : 'llm',
    publisher: meta.publisher ?? 'local',
    arch: meta.architecture,
    compatibility_type: 'mlx',
    quantization: meta.quantizationLabel,
    state: meta.loaded ? 'loaded' : 'not-loaded',
    max_context_length: meta.maxContextLength,
    // The window requests get: the loaded one, or a profile's context_length.
    ...(meta.loaded ? { loaded_context_length: meta.contextLength } : {}),
    // LM Studio's own word for tool support; Orchard's full list alongside.
    capabilities: meta.capabilities.includes('tools') ? ['tool_use'] : [],
    orchard_capabilities: meta.capabilities,
  };
}

export function lmStudioFront(deps: { models: ModelListing }): FrontEnd {
  return {
    claims: (path) => path === BASE || path.startsWith(`${BASE}/`),
    // LM Studio answers errors as {"error": "…"}.
    errorBody: (e) => ({ error: e.message }),
    async route(call) {
      if (call.method !== 'GET' && call.method !== 'HEAD')
        throw new GatewayError(405, 'method_not_allowed', `${call.path} accepts GET only`);
      // Names routed elsewhere (providers) have nothing to show here; local ones, aliases, profiles do.
      const described = (await deps.models.describedModels()).filter(
        (m): m is DescribedModel & { meta: NonNullable<DescribedModel['meta']> } => m.meta !== null,
      );
      if (call.path === BASE) {
        return { kind: 'json', status: 200, body: { object: 'list', data: described.map(entry) } };
      }
      let id: string;
      try {
        id = decodeURIComponent(call.path.slice(BASE.length + 1));
      } catch {
        throw new GatewayError(
          400,
          'invalid_path',
          'The model id in the path is not valid percent-encoded UTF-8.',
        );
      }
      const m = described.find((x) => x.id === id);
      if (!m)
        throw new GatewayError(
          404,
          'model_not_found',
          `The model '${id}' does not exist.`,
          'model',
        );
      return { kind: 'json', status: 200, body: entry(m) };
    },
  };
}
