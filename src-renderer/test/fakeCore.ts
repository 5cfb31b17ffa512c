// Core as the renderer's unit tests see it: the typed API answered in memory by handlers each test sets,
// every call recorded, and events emitted when the test says so. The real transports are e2e's job.
import type {
  EventName,
  EventPayload,
  MethodInput,
  MethodName,
  MethodResult,
} from '#shared/contract/index.ts';
import { ApiError, type CoreApi } from '../src/lib/api/types.ts';
import { AppState } from '../src/lib/state/app.svelte.ts';

export type { EventPayload, MethodInput, MethodResult };

type Handler<M extends MethodName> = (
  input: MethodInput<M>,
) => MethodResult<M> | Promise<MethodResult<M>>;

export interface Call {
  method: MethodName;
  input: unknown;
}

export class FakeCore implements CoreApi {
  readonly transport = 'ipc' as const;
  readonly calls: Call[] = [];
  #handlers = new Map<string, (input: unknown) => unknown>();
  #listeners = new Map<string, Set<(data: unknown) => void>>();

  /** Answers `method` with `handler` from now on (replacing an earlier one). */
  answer<M extends MethodName>(method: M, handler: Handler<M>): this {
    this.#handlers.set(method, handler as (input: unknown) => unknown);
    return this;
  }

  /** Makes `method` fail as core's dispatcher would, with an error code and message. */
  fail(method: MethodName, message: string, code = 'internal'): this {
    this.#handlers.set(method, () => {
      throw new ApiError(code, message);
    });
    return this;
  }

  call: CoreApi['call'] = async (method, ...input) => {
    this.calls.push({ method, input: input[0] ?? {} });
    // A reply never arrives in the same tick as the call, over IPC or a socket.
    await Promise.resolve();
    const handler = this.#handlers.get(method);
    if (!handler) throw new ApiError('not_found', `no handler for ${method} in this test`);
    return (await handler(input[0] ?? {})) as never;
  };

  on<E extends EventName>(event: E, listener: (data: EventPayload<E>) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    const l = listener as (data: unknown) => void;
    set.add(l);
    return () => set.delete(l);
  }

  emit<E extends EventName>(event: E, data: EventPayload<E>): void {
    for (const l of this.#listeners.get(event) ?? []) l(data);
  }

  /** The inputs `method` was called with, oldest first. */
  inputs<M extends MethodName>(method: M): Array<MethodInput<M>> {
    return this.calls.filter((c) => c.method === method).map((c) => c.input as MethodInput<M>);
  }

  close(): void {}
}

export function appWith(core: FakeCore): AppState {
  return new AppState({ api: core, gatewayOrigin: 'http://127.0.0.1:8765', token: 'launch-token' });
}

/** Lets every pending reply and the work it starts run (a macrotask comes after all microtasks). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A reply the test releases when it wants, to look at the state while a call is in flight. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A Map-backed localStorage, to stub the global with. */
export function memoryStorage(seed: Record<string, string> = {}): Storage {
  const items = new Map(Object.entries(seed));
  return {
    get length() {
      return items.size;
    },
    key: (i) => [...items.keys()][i] ?? null,
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => void items.set(k, String(v)),
    removeItem: (k) => void items.delete(k),
    clear: () => items.clear(),
  };
}
