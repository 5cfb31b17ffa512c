// Reads Cursor's mcp.json ({"mcpServers": {name: {command, args, env} | {url, headers}}}) into
// server inputs; an entry that cannot be used is named with its reason instead of failing the file.
import { CoreError } from '../errors/index.ts';
import { McpServerInput } from '#shared/contract/mcp.ts';
import type { z } from 'zod';

type Input = z.output<typeof McpServerInput>;

/** Cursor writes `${env:NAME}` for values taken from the environment of the importing machine. */
function interpolate(v: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof v === 'string') return v.replace(/\$\{env:([\w]+)\}/g, (_, k: string) => env[k] ?? '');
  if (Array.isArray(v)) return v.map((x) => interpolate(x, env));
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolate(x, env)]));
  return v;
}

export function parseMcpJson(
  text: string,
  env: NodeJS.ProcessEnv = process.env,
): { servers: Input[]; skipped: Array<{ name: string; reason: string }> } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CoreError('validation', `mcp.json is not valid JSON: ${(e as Error).message}`);
  }
  const map =
    doc && typeof doc === 'object' ? (doc as { mcpServers?: unknown }).mcpServers : undefined;
  if (!map || typeof map !== 'object' || Array.isArray(map))
    throw new CoreError('validation', 'mcp.json has no "mcpServers" object');
  const servers: Input[] = [];
  const skipped: Array<{ name: string; reason: string }> = [];
  for (const [name, raw] of Object.entries(map as Record<string, unknown>)) {
    if (!raw || typeof raw !== 'object') {
      skipped.push({ name, reason: 'not an object' });
      continue;
    }
    const e = interpolate(raw, env) as Record<string, unknown>;
    const type = typeof e.type === 'string' ? e.type : undefined;
    if (type === 'sse') {
      skipped.push({ name, reason: 'the SSE transport is not supported; use streamable HTTP' });
      continue;
    }
    const http = typeof e.url === 'string' || type === 'http' || type === 'streamable-http';
    const parsed = McpServerInput.safeParse(
      http
        ? { name, transport: 'http', url: e.url, headers: e.headers ?? {} }
        : { name, transport: 'stdio', command: e.command, args: e.args ?? [], env: e.env ?? {} },
    );
    if (parsed.success) servers.push(parsed.data);
    else
      skipped.push({
        name,
        reason: parsed.error.issues
          .map((i) => `${i.path.join('.') || 'entry'}: ${i.message}`)
          .join('; '),
      });
  }
  return { servers, skipped };
}
