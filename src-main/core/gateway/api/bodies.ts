// The POST endpoints' request bodies: which path is which endpoint, the least each body must hold, and
// the parse that turns raw bytes into a validated body or a 400 naming the first bad field.
import { z } from 'zod';
import { GatewayError } from '../errors.ts';
import type { AuditRecord } from '../store/auditLog.ts';
import type { Endpoint } from '../upstream/endpoints.ts';

export const POSTS: Record<string, Endpoint> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'completions',
  '/v1/embeddings': 'embeddings',
  '/v1/messages': 'messages',
  '/v1/messages/count_tokens': 'count_tokens',
};

const model = z.string().min(1).max(1024);
const BODIES: Record<Endpoint, z.ZodType> = {
  chat: z.looseObject({
    model,
    messages: z.array(z.looseObject({ role: z.string() })).min(1),
    stream: z.boolean().optional(),
  }),
  completions: z.looseObject({
    model,
    prompt: z.unknown().refine((v) => v !== undefined, 'prompt is required'),
    stream: z.boolean().optional(),
  }),
  embeddings: z.looseObject({
    model,
    input: z.unknown().refine((v) => v !== undefined, 'input is required'),
  }),
  messages: z.looseObject({
    model,
    messages: z.array(z.looseObject({ role: z.string() })).min(1),
    max_tokens: z.number().int().positive(),
    stream: z.boolean().optional(),
  }),
  count_tokens: z.looseObject({
    model,
    messages: z.array(z.looseObject({ role: z.string() })).min(1),
  }),
};

/**
 * How deep a body may nest. Deeper bodies are refused here: serialising one for the backend would overflow
 * the stack (and Python's parser stops at about 1,000), and a request no backend can read is the client's
 * fault, never a backend failure a circuit breaker should count. Real tool schemas nest a few dozen deep.
 */
export const MAX_BODY_DEPTH = 128;

/**
 * Why a parsed body cannot be forwarded as it is, or null: nested past MAX_BODY_DEPTH, or a number JSON
 * cannot carry (`1e400` parses to Infinity, which would be re-serialised as null, silently dropping a limit
 * such as max_tokens). Iterative: the depth being checked is the one recursion could not survive.
 */
export function bodyProblem(root: unknown): { message: string; param: string | null } | null {
  const stack: Array<{ v: unknown; depth: number; top: string | null }> = [
    { v: root, depth: 0, top: null },
  ];
  while (stack.length) {
    const { v, depth, top } = stack.pop()!;
    if (typeof v === 'number') {
      if (!Number.isFinite(v))
        return { message: `${top ?? 'body'}: number out of range`, param: top };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_BODY_DEPTH)
      return {
        message: `${top ?? 'body'}: nested deeper than ${MAX_BODY_DEPTH} levels`,
        param: top,
      };
    if (Array.isArray(v)) {
      for (const item of v) stack.push({ v: item, depth: depth + 1, top });
    } else {
      for (const [k, item] of Object.entries(v))
        stack.push({ v: item, depth: depth + 1, top: top ?? k });
    }
  }
  return null;
}

/** The body as JSON that can be forwarded: a 400 for bad JSON, over-deep nesting or numbers out of range. */
export function parseJson(raw: Buffer): unknown {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new GatewayError(400, 'invalid_json', 'The request body is not valid JSON.');
  }
  const problem = bodyProblem(json);
  if (problem) {
    throw new GatewayError(
      400,
      'invalid_request',
      `Invalid request: ${problem.message}`,
      problem.param,
    );
  }
  return json;
}

/** The validated body. The model name goes on the audit row even when the body is refused. */
export function parseBody(
  raw: Buffer,
  endpoint: Endpoint,
  row: AuditRecord,
): Record<string, unknown> {
  const json = parseJson(raw);
  const parsed = BODIES[endpoint].safeParse(json);
  if (
    typeof json === 'object' &&
    json !== null &&
    typeof (json as { model?: unknown }).model === 'string'
  ) {
    row.model = (json as { model: string }).model;
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue?.path.join('.') || null;
    throw new GatewayError(
      400,
      'invalid_request',
      `Invalid request: ${param ?? 'body'}: ${issue?.message ?? 'bad input'}`,
      param,
    );
  }
  return parsed.data as Record<string, unknown>;
}
