// Public surface of the memory area: the limit pushed to the sidecar, pinned preloads, the status
// monitor, what is loaded right now (for the library), and the RPC handlers of the Memory screen.
export {
  applyMemoryLimit,
  limitToBytes,
  MEMORY_LIMIT_SETTING,
  memoryStatus,
  preloadPinned,
  startMemoryMonitor,
  toMemoryStatus,
} from './policy.ts';
export { loadedModels, type LoadedModels } from './loaded.ts';
export { memoryHandlers, type MemoryHandlerDeps, type MemoryHandlers } from './handlers.ts';
