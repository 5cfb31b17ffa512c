// RPC handlers of hub.* over the Hub client: search, and a model's details with the estimate of whether it fits
// in memory. Inputs arrive validated.
import type { hubMethods } from '#shared/contract/hub.ts';
import type { Handlers } from '../rpc/index.ts';
import type { HubClient } from './client.ts';
import type { FitInput, FitResult } from './fit.ts';
import type { ModelKind } from './modelConfig.ts';

export interface HubHandlerDeps {
  hub: HubClient;
  /** model_types the sidecar can load (null when unknown); used by the fit estimate. For an embedding model,
   * the ones its embedder runs (a qwen3 embedding model is not a qwen3 chat model to it). */
  supportedModelTypes: (kind: ModelKind) => Promise<readonly string[] | null>;
  /** Memory the models may use (the memory limit setting). */
  memoryLimitBytes: () => number;
  estimateFit: (i: FitInput) => FitResult;
}

export type HubHandlers = Pick<Handlers, keyof typeof hubMethods>;

export function hubHandlers(d: HubHandlerDeps): HubHandlers {
  return {
    'hub.search': (p) => d.hub.search(p),
    'hub.details': async ({ repoId, revision, contextLength, kvBits }) => {
      const m = await d.hub.details(repoId, revision);
      const fit = d.estimateFit({
        modelType: m.config.modelType,
        supportedModelTypes: await d.supportedModelTypes(m.config.kind),
        weightsBytes: m.weightsBytes,
        kv: m.config.kv,
        kind: m.config.kind,
        contextLength,
        ...(kvBits ? { kvBits } : {}),
        memoryLimitBytes: d.memoryLimitBytes(),
      });
      const { config, ...rest } = m;
      return {
        ...rest,
        modelType: config.modelType,
        architectures: config.architectures,
        quantization: config.quantization,
        capabilities: config.capabilities,
        fit,
      };
    },
  };
}
