// Public surface of the engine area: the managed Python environment the sidecar runs in (install,
// verify, switch, repair), how to stage its resources, and its RPC handlers.
export {
  createEngine,
  engineFromConfig,
  withEngine,
  type EngineService,
  type EngineOptions,
} from './service.ts';
export { engineHandlers, type EngineHandlers } from './handlers.ts';
export { engineLayout, lockName, venvPython } from './layout.ts';
export {
  stageResources,
  engineVersion,
  readResources,
  UV_VERSION,
  LOCKS_DIR,
} from './resources.ts';
export { formatProgress } from './progress.ts';
