// One tool call the model made, decided and run: skipped (round limit, a stop), refused (no such tool,
// arguments that are not JSON), confirmed when its server asks, run in core; the result for the model.
import type { MessageMeta } from '#shared/contract/conversations.ts';
import type { McpCallResult, McpServerView, McpTool } from '#shared/contract/mcp.ts';
import type { CoreApi } from '../api/index.ts';
import { parseArguments, type ToolCall } from './tools.ts';

export type Decision = 'run' | 'decline';

/** A tool call waiting for the user's yes or no. */
export interface PendingCall {
  callId: string;
  name: string;
  serverId: string;
  serverName: string;
  arguments: string;
}

export interface ToolCallDeps {
  api: CoreApi;
  /** The servers' permissions and the confirmation asked of the user (the chat's McpState). */
  tools: {
    servers: ReadonlyArray<Pick<McpServerView, 'id' | 'permission'>>;
    confirm(call: PendingCall): Promise<Decision>;
  };
  /** The user stopped the answer (checked again after the confirmation). */
  stopped(): boolean;
  /** The tool running in core now, or null once it returned. */
  running(name: string | null): void;
}

/** The tool message's content and meta; a call that was not run says why, as an error for the model. */
export async function runToolCall(
  deps: ToolCallDeps,
  call: ToolCall,
  offered: McpTool[],
  skip: string | null,
): Promise<{ content: string; meta: MessageMeta }> {
  const tool = offered.find((t) => t.name === call.name);
  const result = await outcome(deps, call, tool, skip);
  const meta: MessageMeta = {
    tool: {
      callId: call.id,
      name: call.name,
      server: tool?.serverName ?? null,
      arguments: call.arguments,
      isError: result.isError,
      durationMs: result.durationMs,
      ...(result.declined ? { declined: true } : {}),
    },
  };
  return { content: result.content, meta };
}

type Outcome = McpCallResult & { declined?: boolean };

const refused = (content: string, declined = false): Outcome => ({
  content,
  isError: true,
  durationMs: 0,
  ...(declined ? { declined: true } : {}),
});

async function outcome(
  deps: ToolCallDeps,
  call: ToolCall,
  tool: McpTool | undefined,
  skip: string | null,
): Promise<Outcome> {
  if (skip !== null) return refused(skip, true);
  if (!tool) return refused(`there is no tool named "${call.name}"`);
  const args = parseArguments(call.arguments);
  if (!args.ok) return refused(args.error);
  const permission =
    deps.tools.servers.find((s) => s.id === tool.serverId)?.permission ?? tool.permission;
  const decision =
    permission === 'allow'
      ? 'run'
      : await deps.tools.confirm({
          callId: call.id,
          name: call.name,
          serverId: tool.serverId,
          serverName: tool.serverName,
          arguments: call.arguments,
        });
  if (decision === 'decline' || deps.stopped())
    return refused('the user declined this tool call', true);
  deps.running(call.name);
  try {
    return await deps.api.call('mcp.call', {
      serverId: tool.serverId,
      tool: tool.tool,
      arguments: args.value,
      confirmed: true,
    });
  } catch (e) {
    return refused(`the tool call failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    deps.running(null);
  }
}
