// Chat playground state: conversations and messages (kept in SQLite through core), the answer being
// streamed from the gateway, stop / regenerate / edit-and-resend, and the request settings.
import type { ChatMessage, Conversation, MessageMeta } from '#shared/contract/conversations.ts';
import { flushSync } from 'svelte';
import { figures } from '../chat/figures.ts';
import { userContent, type ChatImage } from '../chat/images.ts';
import { GatewayError, streamChat, type ChatRequest } from '../chat/gateway.ts';
import { pacer } from '../chat/pacer.ts';
import type { AppState } from './app.svelte.ts';

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

  readonly current = $derived(this.conversations.find((c) => c.id === this.currentId) ?? null);
  readonly busy = $derived(this.draft !== null);

  readonly app: AppState;
  #abort: AbortController | null = null;

  constructor(app: AppState) {
    this.app = app;
  }

  async init(): Promise<void> {
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

  /** Sends the user's text and attached images (kept with the message), then asks for the answer. */
  async send(text: string, images: ChatImage[] = []): Promise<void> {
    const content = text.trim();
    if ((content === '' && images.length === 0) || this.busy) return;
    const conv = this.current ?? (await this.create());
    if (!conv) return;
    const ok = await this.#guard(async () => {
      const m = await this.app.api.call('conversations.addMessage', {
        conversationId: conv.id,
        role: 'user',
        content,
        ...(images.length ? { meta: { images } } : {}),
      });
      this.messages = [...this.messages, m];
      if (this.messages.length === 1) {
        const title = content.replace(/\s+/g, ' ').slice(0, TITLE_LENGTH) || images[0]!.name;
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
    // The edited message keeps its pictures: only its text was editable.
    const images = this.messages.find((m) => m.id === messageId)?.meta?.images ?? [];
    if ((content === '' && images.length === 0) || this.busy || !this.currentId) return;
    const conversationId = this.currentId;
    if (!(await this.#truncate(messageId))) return;
    await this.#guard(async () => {
      const m = await this.app.api.call('conversations.addMessage', {
        conversationId,
        role: 'user',
        content,
        ...(images.length ? { meta: { images } } : {}),
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
    this.#abort?.abort();
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

  #request(model: string): ChatRequest {
    const s = this.settings;
    const history = this.messages
      .filter(
        (m): m is ChatMessage & { role: 'user' | 'assistant' } =>
          m.role === 'user' || m.role === 'assistant',
      )
      .map((m) => ({
        role: m.role,
        content: m.role === 'user' ? userContent(m.content, m.meta?.images) : m.content,
      }));
    const messages: ChatRequest['messages'] = s.systemPrompt.trim()
      ? [{ role: 'system', content: s.systemPrompt }, ...history]
      : history;
    const params: Record<string, unknown> = {};
    for (const key of ['temperature', 'top_p', 'top_k', 'max_tokens', 'seed'] as const) {
      const v = s[key];
      if (v !== null && Number.isFinite(v)) params[key] = v;
    }
    return { model, messages, params };
  }

  async #answer(): Promise<void> {
    const conversationId = this.currentId;
    const model = this.modelName();
    this.error = null;
    if (!conversationId) return;
    if (!model) {
      this.error = 'Pick a model or a profile first.';
      return;
    }
    const req = this.#request(model);
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
        } else if (ev.kind === 'usage') usageTokens = ev.completionTokens;
        else if (ev.kind === 'finish') finishReason = ev.reason;
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
      return;
    }
    if (failure !== null) {
      this.error = failure;
      this.draft = null;
      return;
    }
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
    await this.#guard(async () => {
      const m = await this.app.api.call('conversations.addMessage', {
        conversationId,
        role: 'assistant',
        content: d.content,
        reasoning: d.reasoning === '' ? null : d.reasoning,
        meta,
      });
      // Opening another conversation stops the answer, which is then stored while that one shows.
      if (this.currentId === conversationId) this.messages = [...this.messages, m];
    });
    this.draft = null;
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
