// The MCP service: the stored servers, their connections (started when a chat asks for tools, closed
// with the app), the tools offered to the model, and one confirmed tool call with a timeout.
import crypto from 'node:crypto';
import { CoreError } from '../errors/index.ts';
import type { LogLike } from '../log/index.ts';
import {
  McpServerInput,
  type McpCallResult,
  type McpServerView,
  type McpTool,
  type mcpMethods,
} from '#shared/contract/mcp.ts';
import type { z } from 'zod';
import { connect, type Connection, type ConnectionState } from './connection.ts';
import { parseMcpJson } from './mcpJson.ts';
import type { McpServerRow, McpStore } from './store.ts';

type Patch = z.output<(typeof mcpMethods)['mcp.update']['input']>['patch'];
type Input = z.output<typeof McpServerInput>;

export interface McpService {
  list(): McpServerView[];
  add(input: Input): McpServerView;
  update(id: string, patch: Patch): Promise<McpServerView>;
  remove(id: string): Promise<void>;
  importJson(text: string): { added: string[]; skipped: Array<{ name: string; reason: string }> };
  restart(id: string): Promise<McpServerView>;
  tools(): Promise<{ tools: McpTool[]; errors: Array<{ server: string; message: string }> }>;
  call(req: {
    serverId: string;
    tool: string;
    arguments: Record<string, unknown>;
    confirmed: boolean;
  }): Promise<McpCallResult>;
  /** Stops every server (app shutdown). */
  close(): Promise<void>;
}

export interface McpServiceDeps {
  store: McpStore;
  version: string;
  log: LogLike;
  onState?: (s: { id: string; name: string; state: ConnectionState; error: string | null }) => void;
  now?: () => number;
}

/** OpenAI function names: letters, digits, "_" and "-", at most 64. */
const fnName = (s: string): string => s.replace(/[^\w-]/g, '_').slice(0, 64);

export function mcpService(d: McpServiceDeps): McpService {
  const { store } = d;
  const now = d.now ?? Date.now;
  /** Live or starting connections by server id; a crashed one stays here until restarted. */
  const conns = new Map<string, Promise<Connection>>();
  /** Why a server could not start, kept (not retried) until restart, edit or removal. */
  const failed = new Map<string, string>();
  const settled = new Map<string, Connection>();

  const mustGet = (id: string): McpServerRow => {
    const row = store.get(id);
    if (!row) throw new CoreError('not_found', `no MCP server with id "${id}"`);
    return row;
  };

  const view = (row: McpServerRow): McpServerView => {
    const c = settled.get(row.id);
    const starting = conns.has(row.id) && !c;
    const fail = failed.get(row.id) ?? null;
    return {
      id: row.id,
      name: row.name,
      transport: row.transport,
      command: row.command,
      args: row.args,
      url: row.url,
      envKeys: row.envKeys,
      headerKeys: row.headerKeys,
      permission: row.permission,
      enabled: row.enabled,
      timeoutMs: row.timeoutMs,
      state: fail ? 'crashed' : starting ? 'starting' : (c?.state ?? 'stopped'),
      error: fail ?? c?.error ?? null,
      toolCount: c && c.state === 'running' ? c.tools.length : null,
    };
  };

  const emit = (row: McpServerRow): void => {
    const v = view(row);
    d.onState?.({ id: v.id, name: v.name, state: v.state, error: v.error });
  };

  const stop = async (id: string): Promise<void> => {
    const p = conns.get(id);
    conns.delete(id);
    settled.delete(id);
    failed.delete(id);
    if (p) await p.then((c) => c.close()).catch(() => undefined);
  };

  /** The running connection, starting it if needed; a crashed server is reported, never restarted here. */
  const ensure = (row: McpServerRow): Promise<Connection> => {
    const fail = failed.get(row.id);
    if (fail !== undefined) return Promise.reject(new Error(fail));
    const existing = conns.get(row.id);
    if (existing) return existing;
    const secrets = store.secrets(row.id);
    const p = connect({
      row,
      env: secrets.env,
      headers: secrets.headers,
      version: d.version,
      onState: (state, error) => {
        if (conns.get(row.id) !== p) return;
        if (state === 'crashed') {
          failed.set(row.id, error ?? 'the server stopped');
          d.log.warn('MCP server crashed', { server: row.name });
        }
        emit(row);
      },
    }).then(
      (c) => {
        if (conns.get(row.id) === p) settled.set(row.id, c);
        d.log.info('MCP server started', { server: row.name, tools: c.tools.length });
        emit(row);
        return c;
      },
      (e: unknown) => {
        const message = e instanceof Error ? e.message : String(e);
        if (conns.get(row.id) === p) failed.set(row.id, message);
        d.log.warn('MCP server did not start', { server: row.name });
        emit(row);
        throw e;
      },
    );
    conns.set(row.id, p);
    emit(row);
    return p;
  };

  const assertFreeName = (name: string, id: string | null): void => {
    const other = store.byName(name);
    if (other && other.id !== id)
      throw new CoreError('conflict', `an MCP server named "${name}" exists`);
  };

  const add = (input: Input): McpServerView => {
    assertFreeName(input.name, null);
    const row = {
      id: crypto.randomUUID(),
      name: input.name,
      transport: input.transport,
      command: input.transport === 'stdio' ? input.command : null,
      args: input.transport === 'stdio' ? input.args : [],
      url: input.transport === 'http' ? input.url : null,
      permission: input.permission,
      enabled: input.enabled,
      timeoutMs: input.timeoutMs,
      createdAt: now(),
    };
    store.put({ ...row, env: input.env, headers: input.headers });
    return view(mustGet(row.id));
  };

  return {
    list: () => store.list().map(view),
    add,
    async update(id, patch) {
      const old = mustGet(id);
      const merged = { ...old, ...patch };
      const checked = McpServerInput.safeParse({
        name: merged.name,
        transport: merged.transport,
        command: merged.command,
        args: merged.args,
        url: merged.url,
        permission: merged.permission,
        enabled: merged.enabled,
        timeoutMs: merged.timeoutMs,
      });
      if (!checked.success)
        throw new CoreError('validation', checked.error.issues.map((i) => i.message).join('; '));
      assertFreeName(merged.name, id);
      // A new place to connect to drops the secrets meant for the old one unless new ones come along.
      const moved = merged.url !== old.url || merged.command !== old.command;
      store.put({
        ...merged,
        env: patch.env ?? (moved && old.transport === 'stdio' ? {} : undefined),
        headers: patch.headers ?? (moved && old.transport === 'http' ? {} : undefined),
      });
      // Only a change of permission leaves a running server alone.
      const onlyPermission = Object.keys(patch).every((k) => k === 'permission');
      if (!onlyPermission) await stop(id);
      const row = mustGet(id);
      emit(row);
      return view(row);
    },
    async remove(id) {
      mustGet(id);
      await stop(id);
      store.delete(id);
    },
    importJson(text) {
      const { servers, skipped } = parseMcpJson(text);
      const added: string[] = [];
      for (const s of servers) {
        if (store.byName(s.name)) {
          skipped.push({ name: s.name, reason: 'a server with this name exists' });
          continue;
        }
        add(s);
        added.push(s.name);
      }
      return { added, skipped };
    },
    async restart(id) {
      const row = mustGet(id);
      await stop(id);
      await ensure(row).catch(() => undefined);
      return view(mustGet(id));
    },
    async tools() {
      const rows = store.list().filter((r) => r.enabled);
      const errors: Array<{ server: string; message: string }> = [];
      const found: Array<{ row: McpServerRow; conn: Connection }> = [];
      await Promise.all(
        rows.map(async (row) => {
          try {
            const conn = await ensure(row);
            if (conn.state === 'running') found.push({ row, conn });
            else errors.push({ server: row.name, message: conn.error ?? 'the server stopped' });
          } catch (e) {
            errors.push({ server: row.name, message: e instanceof Error ? e.message : String(e) });
          }
        }),
      );
      found.sort((a, b) => a.row.name.localeCompare(b.row.name));
      const count = new Map<string, number>();
      for (const { conn } of found)
        for (const t of conn.tools) count.set(t.name, (count.get(t.name) ?? 0) + 1);
      const tools: McpTool[] = [];
      for (const { row, conn } of found) {
        for (const t of conn.tools) {
          const shared = (count.get(t.name) ?? 0) > 1;
          tools.push({
            name: fnName(shared ? `${row.name}__${t.name}` : t.name),
            serverId: row.id,
            serverName: row.name,
            tool: t.name,
            description: t.description ?? t.title ?? '',
            parameters: t.inputSchema as Record<string, unknown>,
            permission: row.permission,
          });
        }
      }
      return { tools, errors };
    },
    async call(req) {
      const row = mustGet(req.serverId);
      if (row.permission === 'ask' && !req.confirmed)
        throw new CoreError(
          'unauthorized',
          `the MCP server "${row.name}" asks before each tool call: confirm the call first`,
        );
      const started = performance.now();
      const done = (r: { content: string; isError: boolean }): McpCallResult => ({
        ...r,
        durationMs: Math.round(performance.now() - started),
      });
      let conn: Connection;
      try {
        conn = await ensure(row);
      } catch (e) {
        return done({ content: e instanceof Error ? e.message : String(e), isError: true });
      }
      if (!conn.tools.some((t) => t.name === req.tool))
        return done({
          content: `the server "${row.name}" has no tool named "${req.tool}"`,
          isError: true,
        });
      return done(await conn.call(req.tool, req.arguments, row.timeoutMs));
    },
    async close() {
      await Promise.all([...conns.keys()].map((id) => stop(id)));
    },
  };
}
