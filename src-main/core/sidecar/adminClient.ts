// The one way core talks to the sidecar's /admin routes and /health: each reply is parsed with its
// zod schema (adminSchema.ts), so a sidecar that drifted from core fails loudly, naming route and field.
import type { z } from 'zod';
import { CoreError } from '../errors/index.ts';
import * as S from './adminSchema.ts';
import type { Supervisor } from './supervisorTypes.ts';

/** The sidecar answered 2xx with a body that does not match the admin protocol. */
export class SidecarProtocolError extends CoreError {
  readonly route: string;
  constructor(route: string, error: z.ZodError) {
    const where = error.issues
      .slice(0, 3)
      .map((i) => `${fieldPath(i.path) || '(body)'}: ${i.message}`)
      .join('; ');
    // Same code as the sidecar's own errors: callers and the RPC layer need no new case.
    super(
      'sidecar_error',
      `the sidecar's reply to ${route} does not match the admin protocol: ${where}`,
      { route, issues: error.issues },
    );
    this.name = 'SidecarProtocolError';
    this.route = route;
  }
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

export interface SidecarAdmin {
  health(): Promise<S.HealthResponse>;
  capabilities(): Promise<S.CapabilitiesResponse>;
  /** Models on disk and loaded, one row each. */
  models(): Promise<S.ModelsResponse>;
  load(request: S.LoadRequest): Promise<S.LoadResponse>;
  unload(model: string): Promise<S.UnloadResponse>;
  /** Stops a load under way (its caller gets load_cancelled); sidecar_error when none is. */
  cancelLoad(model: string): Promise<S.CancelLoadResponse>;
  memory(): Promise<S.MemoryResponse>;
  /** A lower limit unloads idle unpinned models at once (`evicted`). */
  setMemory(update: S.MemoryUpdate): Promise<S.MemoryUpdateResponse>;
  importGguf(request: S.ImportGgufRequest): Promise<S.ImportGgufResponse>;
  /** Token counts of `texts` with a loaded model's tokenizer; never loads one (then `counts` is null). */
  tokenize(model: string, texts: string[]): Promise<S.TokenizeResponse>;
}

export function sidecarAdmin(sidecar: Pick<Supervisor, 'json'>): SidecarAdmin {
  async function call<T extends z.ZodType>(
    schema: T,
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: object,
  ): Promise<z.infer<T>> {
    const raw = await sidecar.json(
      path,
      body === undefined ? { method } : { method, body: JSON.stringify(body) },
    );
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new SidecarProtocolError(`${method} ${path}`, parsed.error);
    return parsed.data;
  }

  return {
    health: () => call(S.HealthResponse, 'GET', '/health'),
    capabilities: () => call(S.CapabilitiesResponse, 'GET', '/admin/capabilities'),
    models: () => call(S.ModelsResponse, 'GET', '/admin/models'),
    load: (request) => call(S.LoadResponse, 'POST', '/admin/models/load', request),
    unload: (model) => call(S.UnloadResponse, 'POST', '/admin/models/unload', { model }),
    cancelLoad: (model) =>
      call(S.CancelLoadResponse, 'POST', '/admin/models/cancel-load', { model }),
    memory: () => call(S.MemoryResponse, 'GET', '/admin/memory'),
    setMemory: (update) => call(S.MemoryUpdateResponse, 'PUT', '/admin/memory', update),
    importGguf: (request) =>
      call(S.ImportGgufResponse, 'POST', '/admin/models/import-gguf', request),
    tokenize: (model, texts) =>
      call(S.TokenizeResponse, 'POST', '/admin/tokenize', { model, texts }),
  };
}
