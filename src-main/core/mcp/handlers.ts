// RPC handlers of the MCP area (mcp.*): inputs arrive validated by the contract; the service does the work.
// Plugged into the dispatcher's handler table with a spread by the composition root.
import type { mcpMethods } from '#shared/contract/mcp.ts';
import type { Handlers } from '../rpc/index.ts';
import type { McpService } from './service.ts';

export type McpHandlers = Pick<Handlers, keyof typeof mcpMethods>;

export function mcpHandlers(mcp: McpService): McpHandlers {
  return {
    'mcp.list': () => mcp.list(),
    'mcp.add': (input) => mcp.add(input),
    'mcp.update': ({ id, patch }) => mcp.update(id, patch),
    'mcp.remove': async ({ id }) => {
      await mcp.remove(id);
      return { ok: true as const };
    },
    'mcp.import': ({ json }) => mcp.importJson(json),
    'mcp.restart': ({ id }) => mcp.restart(id),
    'mcp.tools': () => mcp.tools(),
    'mcp.call': (req) => mcp.call(req),
  };
}
