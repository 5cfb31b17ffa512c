// One running MCP server, through the official SDK's client over stdio or streamable HTTP: connect,
// list tools, call one with a timeout, and notice when it goes away (a crash is reported, not retried).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerRow } from './store.ts';

const STDERR_LINES = 20;
const MAX_RESULT_CHARS = 200_000;
/** Starting (spawn, handshake, tool list) may take longer than a call's timeout on a busy machine. */
const START_TIMEOUT_MS = 30_000;

export type ConnectionState = 'starting' | 'running' | 'crashed' | 'stopped';

export interface Connection {
  readonly state: ConnectionState;
  /** Why it crashed or could not start, with the server's last stderr lines. */
  readonly error: string | null;
  readonly tools: Tool[];
  call(
    tool: string,
    args: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<{ content: string; isError: boolean }>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  row: McpServerRow;
  env: Record<string, string>;
  headers: Record<string, string>;
  version: string;
  /** Called on every state change after the first connect (crash, close). */
  onState: (state: ConnectionState, error: string | null) => void;
}

/** The result's parts as one text for the model; parts that are not text are named, not dropped. */
export function resultText(result: {
  content?: Array<Record<string, unknown>>;
  structuredContent?: unknown;
}): string {
  const parts: string[] = [];
  for (const p of result.content ?? []) {
    if (p.type === 'text' && typeof p.text === 'string') parts.push(p.text);
    else if (p.type === 'resource' && p.resource && typeof p.resource === 'object') {
      const r = p.resource as { uri?: string; text?: string };
      parts.push(typeof r.text === 'string' ? r.text : `[resource ${r.uri ?? ''}]`);
    } else if (p.type === 'resource_link') parts.push(`[resource link ${String(p.uri)}]`);
    else parts.push(`[${String(p.type)}${p.mimeType ? ` ${String(p.mimeType)}` : ''}]`);
  }
  if (parts.length === 0 && result.structuredContent !== undefined)
    parts.push(JSON.stringify(result.structuredContent));
  const text = parts.join('\n');
  return text.length > MAX_RESULT_CHARS
    ? `${text.slice(0, MAX_RESULT_CHARS)}\n[… cut at ${MAX_RESULT_CHARS} characters]`
    : text;
}

function transportFor(o: ConnectOptions, stderr: string[]): Transport {
  const { row } = o;
  if (row.transport === 'http') {
    return new StreamableHTTPClientTransport(new URL(row.url ?? ''), {
      requestInit: { headers: o.headers },
    });
  }
  const t = new StdioClientTransport({
    command: row.command ?? '',
    args: row.args,
    env: o.env,
    stderr: 'pipe',
  });
  let partial = '';
  t.stderr?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    stderr.push(...lines.filter((l) => l.trim() !== ''));
    if (stderr.length > STDERR_LINES) stderr.splice(0, stderr.length - STDERR_LINES);
  });
  return t;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function connect(o: ConnectOptions): Promise<Connection> {
  const stderr: string[] = [];
  const client = new Client({ name: 'orchard', version: o.version });
  const transport = transportFor(o, stderr);
  let state: ConnectionState = 'starting';
  let error: string | null = null;
  let closing = false;
  const withStderr = (msg: string): string =>
    stderr.length ? `${msg}\n${stderr.join('\n')}` : msg;

  client.onclose = () => {
    if (closing || state === 'crashed') return;
    state = 'crashed';
    error = withStderr(
      o.row.transport === 'stdio'
        ? `the server "${o.row.name}" exited`
        : `the connection to "${o.row.name}" closed`,
    );
    o.onState(state, error);
  };

  let tools: Tool[];
  try {
    const timeout = Math.max(o.row.timeoutMs, START_TIMEOUT_MS);
    await client.connect(transport, { timeout });
    tools = (await client.listTools(undefined, { timeout })).tools;
  } catch (e) {
    closing = true;
    await client.close().catch(() => undefined);
    throw new Error(withStderr(`the server "${o.row.name}" did not start: ${describe(e)}`));
  }
  state = 'running';

  return {
    get state() {
      return state;
    },
    get error() {
      return error;
    },
    tools,
    async call(tool, args, timeoutMs) {
      if (state !== 'running')
        return { content: error ?? `the server "${o.row.name}" is not running`, isError: true };
      try {
        const r = await client.callTool({ name: tool, arguments: args }, undefined, {
          timeout: timeoutMs,
        });
        return {
          content: resultText(r as Parameters<typeof resultText>[0]),
          isError: r.isError === true,
        };
      } catch (e) {
        if (e instanceof McpError && e.code === Number(ErrorCode.RequestTimeout))
          return {
            content: `the tool "${tool}" did not answer within ${Math.round(timeoutMs / 1000)} s`,
            isError: true,
          };
        return {
          content: error ?? `the tool call failed: ${describe(e)}`,
          isError: true,
        };
      }
    },
    async close() {
      if (closing) return;
      closing = true;
      state = 'stopped';
      await client.close().catch(() => undefined);
    },
  };
}
