// The MCP panel's server form as plain data: filled empty (add) or from a listed server (edit), and
// turned into mcp.add's input or the smallest mcp.update patch. Env and header values are write-only.
import type { McpServerInput, McpServerPatch, McpServerView } from '#shared/contract/mcp.ts';

export interface ServerForm {
  name: string;
  transport: 'stdio' | 'http';
  command: string;
  /** One argument a line. */
  args: string;
  url: string;
  /** "KEY=value" a line; on edit, empty keeps the stored set, anything else replaces it whole. */
  env: string;
  /** "Name: value" a line; same rule as env. */
  headers: string;
  permission: 'ask' | 'allow';
  timeoutSeconds: number;
}

export const DEFAULT_TIMEOUT_SECONDS = 60;

export function emptyForm(): ServerForm {
  return {
    name: '',
    transport: 'stdio',
    command: '',
    args: '',
    url: '',
    env: '',
    headers: '',
    permission: 'ask',
    timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
  };
}

export function formFromServer(s: McpServerView): ServerForm {
  return {
    name: s.name,
    transport: s.transport,
    command: s.command ?? '',
    args: s.args.join('\n'),
    url: s.url ?? '',
    env: '',
    headers: '',
    permission: s.permission,
    timeoutSeconds: Math.round(s.timeoutMs / 1000),
  };
}

/** "KEY=value" (env) or "Name: value" (headers), one a line; lines without the separator skipped. */
export function pairs(text: string, sep: '=' | ':'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(sep);
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

const argList = (text: string): string[] => text.split('\n').filter((a) => a.trim() !== '');

export function inputFromForm(f: ServerForm): McpServerInput {
  const stdio = f.transport === 'stdio';
  return {
    name: f.name.trim(),
    transport: f.transport,
    command: stdio ? f.command.trim() : null,
    args: stdio ? argList(f.args) : [],
    url: stdio ? null : f.url.trim(),
    env: stdio ? pairs(f.env, '=') : {},
    headers: stdio ? {} : pairs(f.headers, ':'),
    permission: f.permission,
    timeoutMs: Math.round(f.timeoutSeconds * 1000),
  };
}

/** Only what changed, so an untouched server keeps running and keeps its stored secrets. */
export function patchFromForm(f: ServerForm, s: McpServerView): McpServerPatch {
  const next = inputFromForm(f);
  const patch: McpServerPatch = {};
  if (next.name !== s.name) patch.name = next.name;
  if (next.transport !== s.transport) patch.transport = next.transport;
  if (next.command !== s.command) patch.command = next.command;
  if (JSON.stringify(next.args) !== JSON.stringify(s.args)) patch.args = next.args;
  if (next.url !== s.url) patch.url = next.url;
  if (f.env.trim() !== '') patch.env = next.env;
  if (f.headers.trim() !== '') patch.headers = next.headers;
  if (next.permission !== s.permission) patch.permission = next.permission;
  if (next.timeoutMs !== s.timeoutMs) patch.timeoutMs = next.timeoutMs;
  return patch;
}
