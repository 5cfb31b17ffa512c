// Validates every call against the contract before a handler runs, and every result after.
// Errors come back as {code, message}; a malformed call never reaches its handler.
import { z } from 'zod';
import { CoreError, toErrorPayload } from '../errors/index.ts';
import {
  contract,
  type MethodName,
  type MethodParams,
  type MethodResult,
} from '#shared/contract/index.ts';

export type Handlers = {
  [M in MethodName]: (params: MethodParams<M>) => MethodResult<M> | Promise<MethodResult<M>>;
};

export type CallResult =
  { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

function describeZodError(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(input)'}: ${i.message}`)
    .join('; ');
}

export interface Dispatcher {
  call(method: string, params: unknown): Promise<CallResult>;
}

export function createDispatcher(handlers: Handlers): Dispatcher {
  return {
    async call(method, params) {
      if (!Object.hasOwn(contract, method)) {
        return { ok: false, error: { code: 'not_found', message: `unknown method "${method}"` } };
      }
      const m = method as MethodName;
      const parsed = contract[m].input.safeParse(params ?? {});
      if (!parsed.success) {
        return {
          ok: false,
          error: { code: 'validation', message: describeZodError(parsed.error) },
        };
      }
      try {
        const handler = handlers[m] as (p: unknown) => unknown;
        const result: unknown = await handler(parsed.data);
        const out = contract[m].output.safeParse(result);
        if (!out.success) {
          throw new CoreError(
            'internal',
            `${m} produced an invalid result: ${describeZodError(out.error)}`,
          );
        }
        return { ok: true, result: out.data };
      } catch (e) {
        return { ok: false, error: toErrorPayload(e) };
      }
    },
  };
}
