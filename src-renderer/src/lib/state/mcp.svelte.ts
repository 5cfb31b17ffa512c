// MCP servers in the chat: the list with each server's state (kept current by core's events), add,
// edit, import of Cursor's mcp.json, restart, and the confirmation asked before a tool runs.
import type { McpServerInput, McpServerPatch, McpServerView } from '#shared/contract/mcp.ts';
import type { Decision, PendingCall } from '../chat/toolCall.ts';
import type { AppState } from './app.svelte.ts';

export class McpState {
  servers = $state<McpServerView[]>([]);
  error = $state<string | null>(null);
  /** What the last import added and skipped. */
  imported = $state<{ added: string[]; skipped: Array<{ name: string; reason: string }> } | null>(
    null,
  );
  pending = $state<PendingCall | null>(null);

  readonly enabled = $derived(this.servers.some((s) => s.enabled));
  readonly app: AppState;
  #decide: ((d: Decision) => void) | null = null;

  constructor(app: AppState) {
    this.app = app;
    app.api.on('mcpServerState', (s) => {
      this.servers = this.servers.map((x) =>
        x.id === s.id ? { ...x, state: s.state, error: s.error } : x,
      );
      if (s.state === 'running' || s.state === 'stopped') void this.refresh();
    });
  }

  async refresh(): Promise<void> {
    await this.#guard(async () => {
      this.servers = await this.app.api.call('mcp.list');
    });
  }

  async add(input: McpServerInput): Promise<boolean> {
    return (
      (await this.#guard(async () => {
        await this.app.api.call('mcp.add', input);
        await this.refresh();
        return true;
      })) ?? false
    );
  }

  /** True when saved (an empty patch saves nothing and is fine). */
  async update(id: string, patch: McpServerPatch): Promise<boolean> {
    if (Object.keys(patch).length === 0) return true;
    return (
      (await this.#guard(async () => {
        await this.app.api.call('mcp.update', { id, patch });
        await this.refresh();
        return true;
      })) ?? false
    );
  }

  async remove(id: string): Promise<void> {
    await this.#guard(async () => {
      await this.app.api.call('mcp.remove', { id });
      await this.refresh();
    });
  }

  async restart(id: string): Promise<void> {
    await this.#guard(async () => {
      await this.app.api.call('mcp.restart', { id });
      await this.refresh();
    });
  }

  async importJson(json: string): Promise<void> {
    await this.#guard(async () => {
      this.imported = await this.app.api.call('mcp.import', { json });
      await this.refresh();
    });
  }

  /** Shows the call and waits for the user; a new request replaces (declines) an older one. */
  confirm(call: PendingCall): Promise<Decision> {
    this.#decide?.('decline');
    this.pending = call;
    return new Promise((resolve) => {
      this.#decide = (d) => {
        this.#decide = null;
        this.pending = null;
        resolve(d);
      };
    });
  }

  /** The user's answer to the pending call; "always" also sets the server to always allow. */
  async answer(d: Decision | 'always'): Promise<void> {
    const p = this.pending;
    if (!p) return;
    if (d === 'always') {
      await this.update(p.serverId, { permission: 'allow' });
      this.#decide?.('run');
    } else this.#decide?.(d);
  }

  async #guard<T>(fn: () => Promise<T>): Promise<T | null> {
    try {
      const r = await fn();
      this.error = null;
      return r;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      return null;
    }
  }
}
