// The one interface the UI uses to reach core, whatever carries it (Electron IPC or WebSocket).
// Both transports deliver the dispatcher's {ok, result | error} envelope, so errors look alike.
import type {
  EventName,
  EventPayload,
  MethodInput,
  MethodName,
  MethodResult,
} from '#shared/contract/index.ts';

export type CallEnvelope =
  { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

/** What the preload exposes as `window.orchard` (see src-preload/index.ts). */
export interface OrchardBridge {
  readonly methods: readonly string[];
  call(method: string, input: unknown): Promise<CallEnvelope>;
  /** Subscribes to one contract event; returns the unsubscribe function. */
  on(event: string, listener: (data: unknown) => void): () => void;
}

declare global {
  interface Window {
    orchard?: OrchardBridge;
  }
}

export class ApiError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

export interface Transport {
  readonly kind: 'ipc' | 'websocket';
  call(method: string, input: unknown): Promise<CallEnvelope>;
  on(event: string, listener: (data: unknown) => void): () => void;
  close(): void;
}

export interface CoreApi {
  readonly transport: Transport['kind'];
  call<M extends MethodName>(
    method: M,
    ...input: Record<never, never> extends MethodInput<M> ? [MethodInput<M>?] : [MethodInput<M>]
  ): Promise<MethodResult<M>>;
  on<E extends EventName>(event: E, listener: (data: EventPayload<E>) => void): () => void;
  close(): void;
}

export function createCoreApi(transport: Transport): CoreApi {
  return {
    transport: transport.kind,
    async call(method, ...input) {
      const env = await transport.call(method, input[0] ?? {});
      if (!env.ok) throw new ApiError(env.error.code, env.error.message);
      return env.result as never;
    },
    on(event, listener) {
      return transport.on(event, listener as (data: unknown) => void);
    },
    close: () => transport.close(),
  };
}
