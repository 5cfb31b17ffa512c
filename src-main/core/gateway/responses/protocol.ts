// The Responses API request as the gateway accepts it: zod schemas, loose wherever clients send extras,
// strict only on what the translation reads (a malformed function_call is a 400 naming the field).
import { z } from 'zod';

const text = z.string();
const part = z.looseObject({ type: z.string() });
const nullish = <T extends z.ZodType>(s: T) => s.nullable().optional();

const messageItem = z.looseObject({
  type: z.literal('message').optional(),
  id: nullish(z.string()),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([text, z.array(part)]),
});
const functionCall = z.looseObject({
  type: z.literal('function_call'),
  id: nullish(z.string()),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: text,
  namespace: nullish(z.string()),
});
const functionCallOutput = z.looseObject({
  type: z.literal('function_call_output'),
  id: nullish(z.string()),
  call_id: z.string().min(1),
  output: z.union([text, z.array(part)]),
});
const customCall = z.looseObject({
  type: z.literal('custom_tool_call'),
  id: nullish(z.string()),
  call_id: z.string().min(1),
  name: z.string().min(1),
  input: text,
  namespace: nullish(z.string()),
});
const customCallOutput = z.looseObject({
  type: z.literal('custom_tool_call_output'),
  id: nullish(z.string()),
  call_id: z.string().min(1),
  output: z.union([text, z.array(part)]),
});
const reasoningItem = z.looseObject({
  type: z.literal('reasoning'),
  id: nullish(z.string()),
  summary: z.array(z.looseObject({ type: z.string(), text: text.optional() })).optional(),
  content: nullish(z.array(z.looseObject({ type: z.string(), text: text.optional() }))),
  encrypted_content: nullish(z.string()),
});
const itemReference = z.looseObject({ type: z.literal('item_reference'), id: z.string().min(1) });

/** The item types the translation reads; any other type (web_search_call, …) passes validation. */
const KNOWN_ITEMS: Record<string, z.ZodType> = {
  message: messageItem,
  function_call: functionCall,
  function_call_output: functionCallOutput,
  custom_tool_call: customCall,
  custom_tool_call_output: customCallOutput,
  reasoning: reasoningItem,
  item_reference: itemReference,
};

/** Checks a value against the schema its `type` names, reporting issues at their own paths. */
function byType(table: Record<string, z.ZodType>, fallback: string | null) {
  return z.looseObject({ type: z.string().optional() }).superRefine((v, ctx) => {
    const schema = table[v.type ?? fallback ?? ''];
    if (!schema) return;
    const r = schema.safeParse(v);
    if (r.success) return;
    for (const issue of r.error.issues)
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  });
}

const functionTool = z.looseObject({
  type: z.literal('function'),
  name: z.string().min(1).max(256),
  description: nullish(z.string()),
  parameters: nullish(z.record(z.string(), z.unknown())),
  strict: nullish(z.boolean()),
});
const customTool = z.looseObject({
  type: z.literal('custom'),
  name: z.string().min(1).max(256),
  description: nullish(z.string()),
  format: nullish(z.looseObject({ type: z.string() })),
});
const namespaceTool = z.looseObject({
  type: z.literal('namespace'),
  name: z.string().min(1).max(256),
  description: nullish(z.string()),
  tools: z.array(byType({ function: functionTool, custom: customTool }, null)),
});
const tool = byType({ function: functionTool, custom: customTool, namespace: namespaceTool }, null);

const format = byType(
  {
    text: z.looseObject({ type: z.literal('text') }),
    json_object: z.looseObject({ type: z.literal('json_object') }),
    json_schema: z.looseObject({
      type: z.literal('json_schema'),
      name: nullish(z.string()),
      schema: z.record(z.string(), z.unknown()),
      strict: nullish(z.boolean()),
      description: nullish(z.string()),
    }),
  },
  null,
);

export const responsesRequest = z.looseObject({
  model: z.string().min(1).max(1024),
  input: z.union([text, z.array(byType(KNOWN_ITEMS, 'message'))]).optional(),
  instructions: nullish(z.union([text, z.array(byType(KNOWN_ITEMS, 'message'))])),
  previous_response_id: nullish(z.string().min(1).max(256)),
  stream: nullish(z.boolean()),
  store: nullish(z.boolean()),
  tools: nullish(z.array(tool)),
  tool_choice: nullish(z.union([z.enum(['none', 'auto', 'required']), part])),
  parallel_tool_calls: nullish(z.boolean()),
  max_output_tokens: nullish(z.number().int().positive()),
  temperature: nullish(z.number().min(0).max(2)),
  top_p: nullish(z.number().min(0).max(1)),
  text: nullish(z.looseObject({ format: nullish(format) })),
  reasoning: nullish(z.looseObject({ effort: nullish(z.string()), summary: nullish(z.string()) })),
  metadata: nullish(z.record(z.string(), z.unknown())),
  include: nullish(z.array(z.string())),
  prompt_cache_key: nullish(z.string()),
  service_tier: nullish(z.string()),
  user: nullish(z.string()),
  safety_identifier: nullish(z.string()),
});

export type ResponsesRequest = z.infer<typeof responsesRequest>;
export type MessageItem = z.infer<typeof messageItem>;
export type FunctionCallItem = z.infer<typeof functionCall>;
export type FunctionTool = z.infer<typeof functionTool>;
export type CustomTool = z.infer<typeof customTool>;
export type NamespaceTool = z.infer<typeof namespaceTool>;

/** An input or output item: plain JSON whose `type` says which of the shapes above it has. */
export type Item = Record<string, unknown> & { type?: string; id?: string | null };
