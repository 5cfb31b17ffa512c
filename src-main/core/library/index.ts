// Public surface of the library: the service over local models (HF cache + extra folders), its inventory store
// and its RPC handlers.
export {
  createLibrary,
  EXTRA_FOLDERS_SETTING,
  type Library,
  type LibraryOptions,
} from './service.ts';
export type { LibraryModel } from './scan.ts';
export { libraryStore, type LibraryStore, type ModelRow } from './store.ts';
export {
  libraryHandlers,
  ggufImportHandlers,
  type LibraryHandlers,
  type GgufImportHandlers,
} from './handlers.ts';
