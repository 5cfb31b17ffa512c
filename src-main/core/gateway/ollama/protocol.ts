// Ollama's API requests as the gateway accepts them: zod schemas, loose wherever clients send extras
// (options Orchard does not use, Ollama fields from newer versions), strict only on what is translated.
import { z } from 'zod';

const nullish = <T extends z.ZodType>(s: T) => s.nullable().optional();
const name = z.string().min(1).max(1024);

/** A Go duration ("5m", "1h30m", "-1s") or seconds as a number or numeric string. */
const keepAlive = z.union([z.number(), z.string().max(64)]);

/** The options Orchard maps; others (num_thread, mirostat, …) are accepted and ignored. */
export const options = z.looseObject({
  temperature: nullish(z.number()),
  top_p: nullish(z.number()),
  top_k: nullish(z.number().int()),
  min_p: nullish(z.number()),
  num_predict: nullish(z.number().int()),
  num_ctx: nullish(z.number().int()),
  stop: nullish(z.union([z.string(), z.array(z.string())])),
  seed: nullish(z.number().int()),
  repeat_penalty: nullish(z.number()),
  presence_penalty: nullish(z.number()),
  frequency_penalty: nullish(z.number()),
});

/** "json", "" (none) or a JSON schema. */
const format = z.union([z.string(), z.record(z.string(), z.unknown())]);
/** true/false, or an effort ("low", "medium", "high") for models that take one. */
const think = z.union([z.boolean(), z.string()]);

const toolCall = z.looseObject({
  id: nullish(z.string()),
  type: nullish(z.string()),
  function: z.looseObject({
    index: nullish(z.number()),
    name: z.string().min(1),
    // Ollama sends an object; a JSON string (OpenAI's habit) is taken too.
    arguments: nullish(z.union([z.record(z.string(), z.unknown()), z.string()])),
  }),
});

export const message = z.looseObject({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: nullish(z.string()),
  thinking: nullish(z.string()),
  images: nullish(z.array(z.string())),
  tool_calls: nullish(z.array(toolCall)),
  tool_name: nullish(z.string()),
  tool_call_id: nullish(z.string()),
});

export const tool = z.looseObject({
  type: nullish(z.string()),
  function: z.looseObject({
    name: z.string().min(1).max(256),
    description: nullish(z.string()),
    parameters: nullish(z.record(z.string(), z.unknown())),
  }),
});

const generation = {
  model: name,
  stream: nullish(z.boolean()),
  format: nullish(format),
  options: nullish(options),
  keep_alive: nullish(keepAlive),
  think: nullish(think),
};

export const chatRequest = z.looseObject({
  ...generation,
  messages: nullish(z.array(message)),
  tools: nullish(z.array(tool)),
});

export const generateRequest = z.looseObject({
  ...generation,
  prompt: nullish(z.string()),
  suffix: nullish(z.string()),
  system: nullish(z.string()),
  images: nullish(z.array(z.string())),
  // Read and ignored: a caller cannot pass its own template, and there is no token context to resume.
  template: nullish(z.string()),
  context: nullish(z.array(z.number())),
  raw: nullish(z.boolean()),
});

/** Older clients send `name` where newer ones send `model`. */
const named = z
  .looseObject({ model: nullish(name), name: nullish(name) })
  .refine((v) => Boolean(v.model ?? v.name), { message: 'model is required', path: ['model'] })
  .transform((v) => ({ ...v, model: (v.model ?? v.name)! }));

export const showRequest = named;
export const deleteRequest = named;
export const pullRequest = z
  .looseObject({ model: nullish(name), name: nullish(name), stream: nullish(z.boolean()) })
  .refine((v) => Boolean(v.model ?? v.name), { message: 'model is required', path: ['model'] })
  .transform((v) => ({ ...v, model: (v.model ?? v.name)! }));
export const copyRequest = z.looseObject({ source: name, destination: name });
export const embedRequest = z.looseObject({
  model: name,
  input: nullish(z.union([z.string(), z.array(z.string()).min(1)])),
  prompt: nullish(z.string()),
  truncate: nullish(z.boolean()),
  dimensions: nullish(z.number().int().positive()),
});

export type Options = z.infer<typeof options>;
export type Message = z.infer<typeof message>;
export type ChatRequest = z.infer<typeof chatRequest>;
export type GenerateRequest = z.infer<typeof generateRequest>;

/** The first problem of a refused body, as Ollama words it: one line naming the field. */
export function invalidMessage(error: {
  issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>;
}): string {
  const issue = error.issues[0];
  const where = issue?.path.map(String).join('.') || 'body';
  return `invalid request: ${where}: ${issue?.message ?? 'bad input'}`;
}

const UNIT_SECONDS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/**
 * keep_alive as seconds: a number (or numeric string) is seconds, a string a Go duration. Negative means
 * "keep loaded" (null); 0 means "unload after this request". Undefined when absent; throws on nonsense.
 */
export function keepAliveSeconds(v: number | string | null | undefined): number | null | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  let seconds: number;
  if (typeof v === 'number') seconds = v;
  else if (/^[-+]?\d+(\.\d+)?$/.test(v.trim())) seconds = Number(v);
  else {
    const m = /^([-+]?)((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)$/.exec(v.trim());
    if (!m) throw new Error(`keep_alive: '${v}' is not a duration (e.g. "5m", "1h", "0", "-1")`);
    seconds = 0;
    for (const [, n, unit] of m[2]!.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g))
      seconds += Number(n) * UNIT_SECONDS[unit!]!;
    if (m[1] === '-') seconds = -seconds;
  }
  if (!Number.isFinite(seconds)) throw new Error('keep_alive: not a finite duration');
  return seconds < 0 ? null : seconds;
}
