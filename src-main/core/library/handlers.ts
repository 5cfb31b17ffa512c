// RPC handlers of library.* over the library service, and of the GGUF import that adds a model to it.
// Inputs arrive validated.
import type { ggufImportMethods, libraryMethods } from '#shared/contract/library.ts';
import type { Handlers } from '../rpc/index.ts';
import { sidecarAdmin, type Supervisor } from '../sidecar/index.ts';
import type { Library } from './service.ts';

export type LibraryHandlers = Pick<Handlers, keyof typeof libraryMethods>;

export function libraryHandlers(library: Library): LibraryHandlers {
  return {
    'library.list': () => library.list(),
    'library.delete': ({ repoId }) => library.remove(repoId),
  };
}

export type GgufImportHandlers = Pick<Handlers, keyof typeof ggufImportMethods>;

/** A GGUF file becomes an MLX model in the HF cache by the sidecar's conversion, so it goes through its admin API. */
export function ggufImportHandlers(sup: Pick<Supervisor, 'json'>): GgufImportHandlers {
  return {
    'models.importGguf': async ({ path, repoId }) => {
      await sidecarAdmin(sup).importGguf({ path, repo_id: repoId });
      return { id: repoId, imported: true as const };
    },
  };
}
