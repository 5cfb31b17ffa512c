// Building blocks every area of the RPC contract uses: the method pair and the plain replies.
// Area files stay zod-only so the same schemas validate in core and in the browser.
import { z } from 'zod';

export function method<I extends z.ZodType, O extends z.ZodType>(input: I, output: O) {
  return { input, output };
}

export const Empty = z.object({}).strict();
export const Ok = z.object({ ok: z.literal(true) });

/** Same rule as core's hfcache: org/name as the Hub allows them (no `..`, no `--`), so one id names one folder. */
export const RepoId = z
  .string()
  .trim()
  .regex(/^[\w.-]{1,96}\/[\w.-]{1,96}$/, 'expected a repo id like org/name')
  .refine((s) => !s.includes('..') && !s.includes('--'), 'expected a repo id like org/name');
/** Branch, tag, refs/pr/N or commit; no segment starts with a dot (as in core's hfcache). */
export const Revision = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[\w-][\w.-]*(?:\/[\w-][\w.-]*)*$/, 'not a valid revision');
