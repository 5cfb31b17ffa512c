// Building blocks every area of the RPC contract uses: the method pair and the plain replies.
// Area files stay zod-only so the same schemas validate in core and in the browser.
import { z } from 'zod';

export function method<I extends z.ZodType, O extends z.ZodType>(input: I, output: O) {
  return { input, output };
}

export const Empty = z.object({}).strict();
export const Ok = z.object({ ok: z.literal(true) });
