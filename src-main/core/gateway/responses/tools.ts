// The Responses tools a chat backend can call, as chat function tools: function tools as they are,
// custom tools as a function of one string, namespaces flattened; hosted tools (web_search, …) left out.
import type { Json, OAChatRequest } from '../translate/shapes.ts';
import type { CustomTool, FunctionTool, NamespaceTool, ResponsesRequest } from './protocol.ts';

/** What a chat tool name stands for on the Responses side. */
export interface ToolRef {
  kind: 'function' | 'custom';
  name: string;
  namespace?: string;
}

/** Chat tool names ↔ Responses tools, for the request and for the calls that come back. */
export interface ToolNames {
  /** The Responses tool a chat call names (unknown names are taken as plain functions). */
  ref(chatName: string): ToolRef;
  /** The chat name of a Responses tool (for history items and tool_choice). */
  chatName(name: string, namespace?: string | null): string;
}

type ChatTool = NonNullable<OAChatRequest['tools']>[number];

/** A namespaced tool's chat name: `mcp__server` + `tool` reads as Claude Code names MCP tools. */
const qualified = (namespace: string, name: string) => `${namespace}__${name}`;

function customParameters(t: CustomTool): Json {
  const f = t.format as Json | null | undefined;
  let how = 'The raw input for the tool, as free text.';
  if (f?.type === 'grammar' && typeof f.definition === 'string') {
    how = `The raw input for the tool. It must follow this ${String(f.syntax ?? '')} grammar:\n${f.definition}`;
  }
  return {
    type: 'object',
    properties: { input: { type: 'string', description: how } },
    required: ['input'],
    additionalProperties: false,
  };
}

function chatTool(t: FunctionTool | CustomTool, name: string): ChatTool {
  const description = t.description ?? undefined;
  if (t.type === 'custom') {
    return {
      type: 'function',
      function: { name, ...(description ? { description } : {}), parameters: customParameters(t) },
    };
  }
  const fn: ChatTool['function'] & { strict?: boolean } = {
    name,
    ...(description ? { description } : {}),
    parameters: (t.parameters as Json | null | undefined) ?? { type: 'object', properties: {} },
  };
  if (t.strict) fn.strict = true;
  return { type: 'function', function: fn };
}

/** The chat tools for a request's Responses tools, and the name mapping both ways. */
export function chatTools(req: ResponsesRequest): { tools: ChatTool[]; names: ToolNames } {
  const tools: ChatTool[] = [];
  const byChat = new Map<string, ToolRef>();
  const add = (t: FunctionTool | CustomTool, namespace?: string) => {
    const name = namespace ? qualified(namespace, t.name) : t.name;
    if (byChat.has(name)) return; // a duplicate name could not be told apart in a call
    byChat.set(name, { kind: t.type, name: t.name, ...(namespace ? { namespace } : {}) });
    tools.push(chatTool(t, name));
  };
  for (const raw of req.tools ?? []) {
    const t = raw as unknown as FunctionTool | CustomTool | NamespaceTool | { type: string };
    if (t.type === 'function' || t.type === 'custom') add(t as FunctionTool | CustomTool);
    else if (t.type === 'namespace') {
      const ns = t as NamespaceTool;
      for (const inner of ns.tools as unknown as Array<
        FunctionTool | CustomTool | { type: string }
      >)
        if (inner.type === 'function' || inner.type === 'custom')
          add(inner as FunctionTool | CustomTool, ns.name);
    }
    // Hosted tools (web_search, file_search, mcp, code_interpreter, …) have nothing to run them here.
  }
  return {
    tools,
    names: {
      ref: (chatName) => byChat.get(chatName) ?? { kind: 'function', name: chatName },
      chatName: (name, namespace) => (namespace ? qualified(namespace, name) : name),
    },
  };
}

/** Responses tool_choice as chat's; a choice naming a tool that is not offered falls back to auto. */
export function chatToolChoice(
  choice: ResponsesRequest['tool_choice'],
  tools: ChatTool[],
  names: ToolNames,
): { choice: OAChatRequest['tool_choice'] | undefined; tools: ChatTool[] } {
  if (choice === undefined || choice === null) return { choice: undefined, tools };
  if (typeof choice === 'string') return { choice, tools };
  const c = choice as Json;
  const offered = (n: string) => tools.some((t) => t.function.name === n);
  if ((c.type === 'function' || c.type === 'custom') && typeof c.name === 'string') {
    const n = names.chatName(c.name, c.namespace as string | undefined);
    return offered(n)
      ? { choice: { type: 'function', function: { name: n } }, tools }
      : { choice: 'auto', tools };
  }
  if (c.type === 'allowed_tools' && Array.isArray(c.tools)) {
    const allowed = new Set(
      (c.tools as Json[])
        .filter((t) => typeof t.name === 'string')
        .map((t) => names.chatName(t.name as string, t.namespace as string | undefined)),
    );
    return {
      choice: c.mode === 'required' ? 'required' : 'auto',
      tools: tools.filter((t) => allowed.has(t.function.name)),
    };
  }
  // A hosted tool's choice (web_search_preview, file_search, mcp, …): let the model choose.
  return { choice: 'auto', tools };
}
