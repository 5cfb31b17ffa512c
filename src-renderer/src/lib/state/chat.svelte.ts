// Chat playground state: conversations and messages (kept in SQLite through core), the answer being
// streamed from the gateway, stop / regenerate / edit-and-resend, the request settings, and the
// tool loop (MCP tools offered, each call confirmed, run in core, its result sent back to the model).
import type { ChatMessage, Conversation, MessageMeta } from '#shared/contract/conversations.ts';
import type { McpCallResult, McpTool } from '#shared/contract/mcp.ts';
import { flushSync } from 'svelte';
import { figures } from '../chat/figures.ts';
import { withFiles, type ChatFile } from '../chat/files.ts';
import type { ChatImage } from '../chat/images.ts';
import { GatewayError, streamChat, type ChatRequest } from '../chat/gateway.ts';
import { pacer } from '../chat/pacer.ts';
import {
  historyMessages,
  parseArguments,
  ToolCallCollector,
  toolSpecs,
  type ToolCall,
} from '../chat/tools.ts';
import type { AppState } from './app.svelte.ts';
import { Attachments } from './attachments.svelte.ts';
import { McpState } from './mcp.svelte.ts';

export interface Draft {
  reasoning: string;
  content: string;
  startedAt: number;
  firstToken: number | null;
  firstContent: number | null;
  route: string | null;
  model: string;
}

export interface ChatSettings {
  systemPrompt: string;
  temperature: number | null;
  top_p: number | null;
  top_k: number | null;
  max_tokens: number | null;
  seed: number | null;
  /** Offer the tools of the enabled MCP servers to the model. */
  useTools: boolean;
  /** Rounds of tool calls one answer may take before the loop is ended. */
  toolRounds: number;
  /** Speculative decoding: the model's or profile's default, none, prompt lookup, or a draft model. */
  speculative: 'default' | 'none' | 'prompt_lookup' | 'draft_model';
  /** The draft model's repo id when `speculative` is `draft_model`. */
  draftModel: string;
}

/** What the picker selected: a local model (repo id) or a profile (by id). */
export type Selection = { kind: 'model'; id: string } | { kind: 'profile'; id: string };

const SETTINGS_KEY = 'orchard.chat.settings';
const SELECTION_KEY = 'orchard.chat.selection';
const DEFAULT_SETTINGS: ChatSettings = {
  systemPrompt: '',
  temperature: null,
  top_p: null,
  top_k: null,
  max_tokens: null,
  seed: null,
  useTools: true,
  toolRounds: 5,
  speculative: 'default',
  draftModel: '',
};
const TITLE_LENGTH = 48;

function readJson<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key);
    return raw ? { ...fallback, ...(JSON.parse(raw) as T) } : fallback;
  } catch {
    return fallback;
  }
}

/** A user message's meta for its images and files, or nothing when it has neither. */
function attached(images: ChatImage[], files: ChatFile[]): { meta?: MessageMeta } {
  const meta: MessageMeta = {};
  if (images.length) meta.images = images;
  if (files.length) meta.files = files;
  return images.length || files.length ? { meta } : {};
}

export class ChatState {
  conversations = $state<Conversation[]>([]);
  currentId = $state<string | null>(null);
  messages = $state<ChatMessage[]>([]);
  draft = $state<Draft | null>(null);
  error = $state<string | null>(null);
  /** A failure of the history itself (not of an answer). */
  storeError = $state<string | null>(null);
  settings = $state<ChatSettings>(readJson(SETTINGS_KEY, DEFAULT_SETTINGS));
  selection = $state<Selection | null>(readJson<Selection | null>(SELECTION_KEY, null));

  /** The tool being run in core between two rounds of an answer, by the name the model used. */
  runningTool = $state<string | null>(null);
  /** Why the tool loop ended early, or a server that could not offer its tools. */
  toolNotice = $state<string | null>(null);
  #looping = $state(false);

  readonly current = $derived(this.conversations.find((c) => c.id === this.currentId) ?? null);
  readonly busy = $derived(this.draft !== null || this.#looping);

  readonly app: AppState;
  readonly tools: McpState;
  /** Text files waiting in the composer, with their token counts. */
  readonly attachments: Attachments;
  #abort: AbortController | null = null;
  #stopped = false;

  constructor(app: AppState) {
    this.app = app;
    this.tools = new McpState(app);
    this.attachments = new Attachments(app, {
      model: () => this.localModel(),
      history: () => [
        ...(this.settings.systemPrompt.trim() ? [this.settings.systemPrompt] : []),
        ...this.messages.map((m) =>
          m.role === 'user' ? withFiles(m.content, m.meta?.files) : m.content,
        ),
      ],
      reserve: () => this.settings.max_tokens ?? 0,
    });
  }

  /** The local model the selection runs on (a profile's model), or null for none or a provider's. */
  localModel(): string | null {
    const s = this.selection;
    if (!s) return null;
    const id = s.kind === 'model' ? s.id : this.app.profiles.find((p) => p.id === s.id)?.model;
    return id && this.app.models.some((m) => m.id === id) ? id : null;
  }

  async init(): Promise<void> {
    void this.tools.refresh();
    await this.#guard(async () => {
      this.conversations = await this.app.api.call('conversations.list');
      const first = this.conversations[0];
      if (first && this.currentId === null) await this.open(first.id);
    });
  }

  saveSettings(): void {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(this.settings));
  }

  /** The name the gateway routes on: a repo id, or a profile's name. */
  modelName(): string | null {
    const s = this.selection;
    if (!s) return null;
    if (s.kind === 'model') return s.id;
    return this.app.profiles.find((p) => p.id === s.id)?.name ?? null;
  }

  async select(sel: Selection): Promise<void> {
    this.selection = sel;
    localStorage.setItem(SELECTION_KEY, JSON.stringify(sel));
    const model =
      sel.kind === 'model' ? sel.id : this.app.profiles.find((p) => p.id === sel.id)?.model;
    if (model) await this.app.ensureLoaded(model);
  }

  async open(id: string): Promise<void> {
    if (this.busy) this.stop();
    await this.#guard(async () => {
      this.messages = await this.app.api.call('conversations.messages', { id });
      this.currentId = id;
      this.error = null;
    });
  }

  async create(): Promise<Conversation | null> {
    return this.#guard(async () => {
      const c = await this.app.api.call('conversations.create', {});
      this.conversations = [c, ...this.conversations];
      this.currentId = c.id;
      this.messages = [];
      this.error = null;
      return c;
    });
  }

  async rename(id: string, title: string): Promise<void> {
    await this.#guard(async () => {
      const c = await this.app.api.call('conversations.rename', { id, title });
      this.conversations = this.conversations.map((x) => (x.id === id ? c : x));
    });
  }

  async remove(id: string): Promise<void> {
    await this.#guard(async () => {
      if (id === this.currentId && this.busy) this.stop();
      await this.app.api.call('conversations.delete', { id });
      this.conversations = this.conversations.filter((c) => c.id !== id);
      if (id === this.currentId) {
        this.currentId = null;
        this.messages = [];
        const next = this.conversations[0];
        if (next) await this.open(next.id);
      }
    });
  }

  /** Sends the user's text, attached images and files (kept with the message), then asks for the answer. */
  async send(text: string, images: ChatImage[] = [], files: ChatFile[] = []): Promise<void> {
    const content = text.trim();
    if ((content === '' && images.length === 0 && files.length === 0) || this.busy) return;
    const conv = this.current ?? (await this.create());
    if (!conv) return;
    const ok = await this.#guard(async () => {
      const m = await this.app.api.call('conversations.addMessage', {
        conversationId: conv.id,
        role: 'user',
        content,
        ...attached(images, files),
      });
      this.messages = [...this.messages, m];
      if (this.messages.length === 1) {
        const title =
          content.replace(/\s+/g, ' ').slice(0, TITLE_LENGTH) || (images[0] ?? files[0])!.name;
        await this.rename(conv.id, title.slice(0, TITLE_LENGTH));
      }
      return true;
    });
    if (ok) await this.#answer();
  }

  /** Asks again for the last answer: the old one is deleted first. */
  async regenerate(): Promise<void> {
    if (this.busy || !this.currentId) return;
    const last = this.messages.at(-1);
    if (last?.role === 'assistant') {
      const ok = await this.#truncate(last.id);
      if (!ok) return;
    }
    await this.#answer();
  }

  /** Replaces a user message (and everything after it) with the edited text, then answers it. */
  async editAndResend(messageId: number, text: string): Promise<void> {
    const content = text.trim();
    // The edited message keeps its pictures and files: only its text was editable.
    const meta = this.messages.find((m) => m.id === messageId)?.meta;
    const images = meta?.images ?? [];
    const files = meta?.files ?? [];
    if (
      (content === '' && images.length === 0 && files.length === 0) ||
      this.busy ||
      !this.currentId
    )
      return;
    const conversationId = this.currentId;
    if (!(await this.#truncate(messageId))) return;
    await this.#guard(async () => {
      const m = await this.app.api.call('conversations.addMessage', {
        conversationId,
        role: 'user',
        content,
        ...attached(images, files),
      });
      this.messages = [...this.messages, m];
    });
    await this.#answer();
  }

  /** Retry after an inline error: the failed answer was never stored, so this answers again. */
  async retry(): Promise<void> {
    this.error = null;
    await this.regenerate();
  }

  stop(): void {
    this.#stopped = true;
    this.#abort?.abort();
    void this.tools.answer('decline');
  }

  async #truncate(fromMessageId: number): Promise<boolean> {
    const conversationId = this.currentId;
    if (!conversationId) return false;
    return (
      (await this.#guard(async () => {
        await this.app.api.call('conversations.truncate', { conversationId, fromMessageId });
        this.messages = this.messages.filter((m) => m.id < fromMessageId);
        return true;
      })) ?? false
    );
  }

  #request(model: string, tools: McpTool[]): ChatRequest {
    const s = this.settings;
    const history = historyMessages(this.messages);
    const messages: ChatRequest['messages'] = s.systemPrompt.trim()
      ? [{ role: 'system', content: s.systemPrompt }, ...history]
      : history;
    const params: Record<string, unknown> = {};
    for (const key of ['temperature', 'top_p', 'top_k', 'max_tokens', 'seed'] as const) {
      const v = s[key];
      if (v !== null && Number.isFinite(v)) params[key] = v;
    }
    if (s.speculative === 'none') params.speculative = 'none';
    else if (s.speculative === 'prompt_lookup') params.speculative = { method: 'prompt_lookup' };
    else if (s.speculative === 'draft_model' && s.draftModel.trim())
      params.speculative = { draft_model: s.draftModel.trim() };
    return tools.length
      ? { model, messages, params, tools: toolSpecs(tools) }
      : { model, messages, params };
  }

  /** The enabled servers' tools (starting them); a server that cannot offer them is named, not fatal. */
  async #offeredTools(): Promise<McpTool[]> {
    if (!this.settings.useTools || !this.tools.enabled) return [];
    try {
      const { tools, errors } = await this.app.api.call('mcp.tools');
      if (errors.length)
        this.toolNotice = errors.map((e) => `MCP server ${e.server}: ${e.message}`).join('\n');
      return tools;
    } catch (e) {
      this.toolNotice = `MCP tools are unavailable: ${e instanceof Error ? e.message : String(e)}`;
      return [];
    }
  }

  /** Answers, running the tools the model calls and answering again, up to the set rounds. */
  async #answer(): Promise<void> {
    const conversationId = this.currentId;
    const model = this.modelName();
    this.error = null;
    this.toolNotice = null;
    if (!conversationId) return;
    if (!model) {
      this.error = 'Pick a model or a profile first.';
      return;
    }
    this.#stopped = false;
    this.#looping = true;
    try {
      const offered = await this.#offeredTools();
      for (let round = 0; ; round++) {
        const calls = await this.#answerOnce(conversationId, model, offered);
        if (calls.length === 0) return;
        // A cleared or nonsense field in the panel falls back to the default rather than to zero.
        const set = this.settings.toolRounds;
        const rounds = Number.isInteger(set) && set >= 1 ? set : DEFAULT_SETTINGS.toolRounds;
        const limit = round >= rounds;
        if (limit) this.toolNotice = `Stopped after ${rounds} rounds of tool calls.`;
        for (const call of calls) {
          // Every call gets a result in the history, so the next request is well formed.
          const skip = limit
            ? 'not run: the chat reached its limit of tool rounds'
            : this.#stopped || this.currentId !== conversationId
              ? 'not run: the user stopped the answer'
              : null;
          await this.#runTool(conversationId, call, offered, skip);
        }
        if (limit || this.#stopped || this.currentId !== conversationId) return;
      }
    } finally {
      this.#looping = false;
      this.runningTool = null;
    }
  }

  /** One tool call: confirmed when its server asks, run in core, its result stored as a tool message. */
  async #runTool(
    conversationId: string,
    call: ToolCall,
    offered: McpTool[],
    skip: string | null,
  ): Promise<void> {
    const tool = offered.find((t) => t.name === call.name);
    const args = parseArguments(call.arguments);
    let result: McpCallResult & { declined?: boolean };
    if (skip !== null) result = { content: skip, isError: true, durationMs: 0, declined: true };
    else if (!tool)
      result = { content: `there is no tool named "${call.name}"`, isError: true, durationMs: 0 };
    else if (!args.ok) result = { content: args.error, isError: true, durationMs: 0 };
    else {
      const permission =
        this.tools.servers.find((s) => s.id === tool.serverId)?.permission ?? tool.permission;
      const decision =
        permission === 'allow'
          ? 'run'
          : await this.tools.confirm({
              callId: call.id,
              name: call.name,
              serverId: tool.serverId,
              serverName: tool.serverName,
              arguments: call.arguments,
            });
      if (decision === 'decline' || this.#stopped) {
        result = {
          content: 'the user declined this tool call',
          isError: true,
          durationMs: 0,
          declined: true,
        };
      } else {
        this.runningTool = call.name;
        try {
          result = await this.app.api.call('mcp.call', {
            serverId: tool.serverId,
            tool: tool.tool,
            arguments: args.value,
            confirmed: true,
          });
        } catch (e) {
          result = {
            content: `the tool call failed: ${e instanceof Error ? e.message : String(e)}`,
            isError: true,
            durationMs: 0,
          };
        } finally {
          this.runningTool = null;
        }
      }
    }
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
    await this.#guard(async () => {
      const m = await this.app.api.call('conversations.addMessage', {
        conversationId,
        role: 'tool',
        content: result.content,
        meta,
      });
      if (this.currentId === conversationId) this.messages = [...this.messages, m];
    });
  }

  /** One request to the gateway, streamed into the draft and stored; returns the tools it called. */
  async #answerOnce(
    conversationId: string,
    model: string,
    offered: McpTool[],
  ): Promise<ToolCall[]> {
    const req = this.#request(model, offered);
    const collector = new ToolCallCollector();
    const abort = new AbortController();
    this.#abort = abort;
    this.draft = {
      reasoning: '',
      content: '',
      startedAt: performance.now(),
      firstToken: null,
      firstContent: null,
      route: null,
      model,
    };
    // The state's reactive proxy of the draft: written below, shown while the answer streams.
    const d = this.draft;
    let pieces = 0;
    let usageTokens: number | null = null;
    let spec: { proposed: number; accepted: number } | null = null;
    let finishReason: string | undefined;
    let failure: string | null = null;
    // Text reaches the page through the pacer, each batch drawn before the next is taken.
    const text = pacer<{ kind: 'reasoning' | 'content'; text: string }>((batch) => {
      for (const piece of batch) d[piece.kind] += piece.text;
      flushSync();
    });
    try {
      const stream = await streamChat(this.app.gatewayOrigin, this.app.token, req, abort.signal);
      d.route = stream.route;
      for await (const ev of stream.events) {
        if (ev.kind === 'reasoning' || ev.kind === 'content') {
          const t = performance.now();
          // The first piece of the reasoning and of the answer is drawn at once, whatever the pace.
          const first = ev.kind === 'content' ? d.firstContent === null : d.firstToken === null;
          d.firstToken ??= t;
          if (ev.kind === 'content') d.firstContent ??= t;
          pieces++;
          text.push(ev);
          if (first) text.flush();
        } else if (ev.kind === 'toolCall') collector.push(ev);
        else if (ev.kind === 'usage') {
          usageTokens = ev.completionTokens;
          spec = ev.spec ?? null;
        } else if (ev.kind === 'finish') finishReason = ev.reason;
        else if (ev.kind === 'error') failure = ev.message;
      }
    } catch (e) {
      if (!abort.signal.aborted)
        failure = e instanceof GatewayError || e instanceof Error ? e.message : String(e);
    } finally {
      text.flush();
    }
    this.#abort = null;
    if (conversationId !== this.currentId) {
      this.draft = null;
      return [];
    }
    if (failure !== null) {
      this.error = failure;
      this.draft = null;
      return [];
    }
    const calls = abort.signal.aborted ? [] : collector.calls();
    const f = figures({
      start: d.startedAt,
      firstToken: d.firstToken,
      firstContent: d.firstContent,
      end: performance.now(),
      tokens: usageTokens ?? pieces,
    });
    const meta: MessageMeta = { model, ...f };
    if (d.route) meta.route = d.route;
    if (finishReason) meta.finishReason = finishReason;
    if (abort.signal.aborted) meta.stopped = true;
    if (spec) {
      meta.specProposed = spec.proposed;
      meta.specAccepted = spec.accepted;
    }
    if (calls.length) meta.toolCalls = calls;
    const stored = await this.#guard(async () => {
      const m = await this.app.api.call('conversations.addMessage', {
        conversationId,
        role: 'assistant',
        content: d.content,
        reasoning: d.reasoning === '' ? null : d.reasoning,
        meta,
      });
      // Opening another conversation stops the answer, which is then stored while that one shows.
      if (this.currentId === conversationId) this.messages = [...this.messages, m];
      return true;
    });
    this.draft = null;
    return stored ? calls : [];
  }

  async #guard<T>(fn: () => Promise<T>): Promise<T | null> {
    try {
      const r = await fn();
      this.storeError = null;
      return r;
    } catch (e) {
      this.storeError = e instanceof Error ? e.message : String(e);
      return null;
    }
  }
}
