// MCP servers as tools in chat: the servers the user added or imported (Cursor's mcp.json), their
// tools offered to the model, and one tool call; env and header values are write-only for the UI.
import { z } from 'zod';
import { method, Ok } from './common.ts';

const ServerName = z
  .string()
  .trim()
  .regex(/^[\w.-]{1,64}$/, 'a server name is 1-64 letters, digits, "_", "." or "-"');
const Secrets = z.record(z.string().regex(/^[\w.-]{1,128}$/), z.string().max(8192));
const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');

export const McpPermission = z.enum(['ask', 'allow']);
export type McpPermission = z.infer<typeof McpPermission>;

const fields = {
  name: ServerName,
  transport: z.enum(['stdio', 'http']),
  /** stdio: the program and its arguments. */
  command: z.string().trim().min(1).max(4096).nullable(),
  args: z.array(z.string().max(4096)).max(200),
  /** http: the streamable HTTP endpoint. */
  url: httpUrl.nullable(),
  /** Environment (stdio) and headers (http); values are stored encrypted like provider keys. */
  env: Secrets,
  headers: Secrets,
  permission: McpPermission,
  enabled: z.boolean(),
  timeoutMs: z.number().int().min(1000).max(600_000),
};

const checkTransport = (s: {
  transport?: 'stdio' | 'http';
  command?: string | null;
  url?: string | null;
}): boolean => (s.transport === 'stdio' ? !!s.command : s.transport === 'http' ? !!s.url : true);
const transportMessage = {
  message: 'a stdio server needs a command, an http server a url',
};

export const McpServerInput = z
  .object({
    ...fields,
    command: fields.command.default(null),
    args: fields.args.default([]),
    url: fields.url.default(null),
    env: fields.env.default({}),
    headers: fields.headers.default({}),
    permission: fields.permission.default('ask'),
    enabled: fields.enabled.default(true),
    timeoutMs: fields.timeoutMs.default(60_000),
  })
  .strict()
  .refine(checkTransport, transportMessage);
export type McpServerInput = z.input<typeof McpServerInput>;

/** Absent fields keep their stored value; env or headers given replace the stored set whole. */
export const McpServerPatch = z.object(fields).partial().strict();
export type McpServerPatch = z.input<typeof McpServerPatch>;

export const McpServerState = z.enum(['stopped', 'starting', 'running', 'crashed']);
export const McpServerView = z.object({
  id: z.string(),
  name: z.string(),
  transport: z.enum(['stdio', 'http']),
  command: z.string().nullable(),
  args: z.array(z.string()),
  url: z.string().nullable(),
  envKeys: z.array(z.string()),
  headerKeys: z.array(z.string()),
  permission: McpPermission,
  enabled: z.boolean(),
  timeoutMs: z.number(),
  state: McpServerState,
  /** Why it is crashed (with its last stderr lines), or null. */
  error: z.string().nullable(),
  toolCount: z.number().nullable(),
});
export type McpServerView = z.infer<typeof McpServerView>;

/** One tool as the chat offers it: the OpenAI function shape plus where it runs. */
export const McpTool = z.object({
  /** The name the model sees: the tool's own, or `server__tool` when two servers share it. */
  name: z.string(),
  serverId: z.string(),
  serverName: z.string(),
  tool: z.string(),
  description: z.string(),
  parameters: z.record(z.string(), z.unknown()),
  permission: McpPermission,
});
export type McpTool = z.infer<typeof McpTool>;

export const McpCallResult = z.object({
  /** The result as text for the model (text parts joined; other parts described). */
  content: z.string(),
  /** The server reported an error, the call failed, timed out or was declined. */
  isError: z.boolean(),
  durationMs: z.number(),
});
export type McpCallResult = z.infer<typeof McpCallResult>;

export const mcpMethods = {
  'mcp.list': method(z.object({}).strict(), z.array(McpServerView)),
  'mcp.add': method(McpServerInput, McpServerView),
  'mcp.update': method(
    z.object({ id: z.string().min(1).max(200), patch: McpServerPatch }).strict(),
    McpServerView,
  ),
  'mcp.remove': method(z.object({ id: z.string().min(1).max(200) }).strict(), Ok),
  /** Cursor's mcp.json text: {"mcpServers": {name: {command, args, env} | {url, headers}}}. */
  'mcp.import': method(
    z.object({ json: z.string().max(1_000_000) }).strict(),
    z.object({
      added: z.array(z.string()),
      skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
    }),
  ),
  /** Starts a crashed or stopped server again (never done by itself). */
  'mcp.restart': method(z.object({ id: z.string().min(1).max(200) }).strict(), McpServerView),
  /** The tools of every enabled server, starting the ones not yet running. */
  'mcp.tools': method(
    z.object({}).strict(),
    z.object({
      tools: z.array(McpTool),
      errors: z.array(z.object({ server: z.string(), message: z.string() })),
    }),
  ),
  /** One tool call; a server set to "ask" needs `confirmed: true` (the user said yes). */
  'mcp.call': method(
    z
      .object({
        serverId: z.string().min(1).max(200),
        tool: z.string().min(1).max(256),
        arguments: z.record(z.string(), z.unknown()),
        confirmed: z.boolean().default(false),
      })
      .strict(),
    McpCallResult,
  ),
} as const;

export const mcpEvents = {
  mcpServerState: z.object({
    id: z.string(),
    name: z.string(),
    state: McpServerState,
    error: z.string().nullable(),
  }),
} as const;
