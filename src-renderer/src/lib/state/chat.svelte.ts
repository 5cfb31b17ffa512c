// Chat playground state: conversations and messages (kept in SQLite through core), the answer being
// streamed from the gateway, stop / regenerate / edit-and-resend, the request settings, and the
// tool loop (MCP tools offered, each call confirmed, run in core, its result sent back to the model).
import type { ChatMessage, Conversation, MessageMeta } from '#shared/contract/conversations.ts';
import type { McpTool } from '#shared/contract/mcp.ts';
import { withFiles, type ChatFile } from '../chat/files.ts';
import type { ChatImage } from '../chat/images.ts';
import { answerMeta, streamAnswer, type Draft } from '../chat/answer.ts';
import {
  chatRequest,
  DEFAULT_SETTINGS,
  readJson,
  SELECTION_KEY,
  SETTINGS_KEY,
  toolRoundLimit,
  type ChatSettings,
  type Selection,
} from '../chat/settings.ts';
import { runToolCall } from '../chat/toolCall.ts';
import type { ToolCall } from '../chat/tools.ts';
import type { AppState } from './app.svelte.ts';
import { Attachments } from './attachments.svelte.ts';
import { McpState } from './mcp.svelte.ts';

/** A user message's meta for its images and files, or nothing when it has neither. */
function attached(images: ChatImage[], files: ChatFile[]): { meta?: MessageMeta } {
  const meta: MessageMeta = {};
  if (images.length) meta.images = images;
  if (files.length) meta.files = files;
  return images.length || files.length ? { meta } : {};
}

const TITLE_LENGTH = 48;

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
        const rounds = toolRoundLimit(this.settings);
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

  /** One tool call decided and run (toolCall.ts), its result stored as a tool message. */
  async #runTool(
    conversationId: string,
    call: ToolCall,
    offered: McpTool[],
    skip: string | null,
  ): Promise<void> {
    const { content, meta } = await runToolCall(
      {
        api: this.app.api,
        tools: this.tools,
        stopped: () => this.#stopped,
        running: (name) => (this.runningTool = name),
      },
      call,
      offered,
      skip,
    );
    await this.#guard(async () => {
      const m = await this.app.api.call('conversations.addMessage', {
        conversationId,
        role: 'tool',
        content,
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
    const req = chatRequest(this.settings, model, this.messages, offered);
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
    // The state's reactive proxy of the draft: written while the answer streams, shown as it grows.
    const d = this.draft;
    const got = await streamAnswer(this.app.gatewayOrigin, this.app.token, req, abort.signal, d);
    this.#abort = null;
    if (conversationId !== this.currentId) {
      this.draft = null;
      return [];
    }
    if (got.failure !== null) {
      this.error = got.failure;
      this.draft = null;
      return [];
    }
    const calls = abort.signal.aborted ? [] : got.calls;
    const meta = answerMeta(d, got, {
      end: performance.now(),
      stopped: abort.signal.aborted,
      calls,
    });
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
