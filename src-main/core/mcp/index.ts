// Public surface of the MCP area: servers (stdio, streamable HTTP) whose tools the chat offers to a
// model. The composition root builds the store and the service, spreads the handlers, closes it on stop.
export { mcpStore, type McpServerRow, type McpStore } from './store.ts';
export { mcpService, type McpService, type McpServiceDeps } from './service.ts';
export { mcpHandlers, type McpHandlers } from './handlers.ts';
export { parseMcpJson } from './mcpJson.ts';
