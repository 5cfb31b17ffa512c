// Public surface of the hub area: the HTTP client, the Hub client (search, details), config reading, fit and
// the hub.* RPC handlers.
export {
  createHttp,
  hubSettingsFromEnv,
  DEFAULT_HUB_URL,
  type Http,
  type HttpOptions,
  type BodyResponse,
  type BodyReader,
} from './hubHttp.ts';
export {
  createHubClient,
  type HubClient,
  type SearchParams,
  type SearchSort,
  type SearchItem,
  type SearchPage,
  type TreeFile,
  type RepoInfo,
  type ModelDetails,
} from './client.ts';
export {
  summarizeConfig,
  parseConfig,
  modelKind,
  modelCapabilities,
  quantization,
  kvShape,
  type ConfigSummary,
  type ModelKind,
  type ModelCapability,
  type Quantization,
  type KvShape,
} from './modelConfig.ts';
export {
  estimateFit,
  kvCacheBytes,
  type FitInput,
  type FitResult,
  type FitVerdict,
} from './fit.ts';
export { renderCard, sanitizeCardHtml } from './card.ts';
export { hubHandlers, type HubHandlers, type HubHandlerDeps } from './handlers.ts';
