// Text files waiting in the composer: read and refused here (binary, too large, too many), each counted
// with the chosen model's own tokenizer when it is loaded (≈ estimate otherwise), and the conversation
// plus the files and the message being typed measured against the model's context window.
import {
  estimateTokens,
  fileBlock,
  MAX_FILES,
  readTextFile,
  tokenLabel,
  type ChatFile,
} from '../chat/files.ts';
import type { AppState } from './app.svelte.ts';

/** What the count needs from the chat: the model's repo id and the texts already in the context. */
export interface CountSource {
  /** The local model the chat's selection runs on (a profile's model), or null (none, or a provider). */
  model(): string | null;
  /** The system prompt and every message as the model gets them. */
  history(): string[];
  /** The answer's max_tokens when set: room the window must keep for the reply. */
  reserve(): number;
}

/** The chat template's markers around each message (role, start and end tokens): a small allowance. */
export const MESSAGE_OVERHEAD = 4;

export class Attachments {
  readonly app: AppState;
  readonly src: CountSource;
  files = $state<ChatFile[]>([]);
  error = $state<string | null>(null);
  /** Tokens of the conversation so far (system prompt and messages). */
  historyTokens = $state(0);
  /** True when any figure shown is an estimate (no loaded model to count with). */
  estimated = $state(true);
  /** The model's window, or null when unknown (no local model chosen). */
  contextLength = $state<number | null>(null);

  /** The message being typed. Counted as an estimate: a tokenizer round trip per keystroke is not worth it. */
  draft = $state('');
  readonly draftTokens = $derived(
    this.draft.trim() === '' ? 0 : estimateTokens(this.draft) + MESSAGE_OVERHEAD,
  );

  readonly total = $derived(
    this.historyTokens + this.draftTokens + this.files.reduce((n, f) => n + f.tokens, 0),
  );
  /** The total holds an estimate: no tokenizer to count with, or text still being typed. */
  get approximate(): boolean {
    return this.estimated || this.draftTokens > 0;
  }
  /** The conversation and the files (and the reply's max_tokens, when set) do not fit the window. */
  get overflow(): boolean {
    return this.contextLength !== null && this.total + this.src.reserve() > this.contextLength;
  }
  /** What the files and the conversation take, said in words (≈ for estimates). */
  get summary(): string {
    const window =
      this.contextLength === null
        ? ''
        : ` of the model's ${this.contextLength.toLocaleString('en-US')}-token window`;
    const estimate = this.estimated ? ' (estimated: no loaded model to count with)' : '';
    const typed = this.draftTokens ? ' and your message' : '';
    return `${tokenLabel(this.total, this.approximate)} with the conversation${typed}${window}${estimate}`;
  }
  /** The overflow warning, or null when everything fits. */
  get warning(): string | null {
    if (!this.overflow) return null;
    const reserve = this.src.reserve();
    const answer = reserve ? ` plus ${reserve.toLocaleString('en-US')} for the answer` : '';
    return (
      `The conversation${this.draftTokens ? ', your message' : ''} and attachments ` +
      `(${tokenLabel(this.total, this.approximate)}${answer}) do not ` +
      `fit the model's context window of ${this.contextLength!.toLocaleString('en-US')} tokens: ` +
      'the start would be cut off or the request refused. Remove a file or start a new chat.'
    );
  }
  /** Changes whenever a count would come out differently: what to recount on (through a $derived, as
   *  reading it directly would also depend on the `files` array that every count replaces). */
  get countKey(): string {
    const model = this.src.model();
    const loaded = model !== null && this.app.isLoaded(model);
    return JSON.stringify([model, loaded, this.files.length, this.src.history().length]);
  }

  #seq = 0;

  constructor(app: AppState, src: CountSource) {
    this.app = app;
    this.src = src;
  }

  /** Adds picked, pasted or dropped files; a refused one is named in `error`, the rest are kept. */
  async add(list: File[]): Promise<void> {
    this.error = null;
    const problems: string[] = [];
    for (const file of list) {
      if (this.files.length >= MAX_FILES) {
        problems.push(`At most ${MAX_FILES} files per message.`);
        break;
      }
      try {
        const read = await readTextFile(file);
        const block = fileBlock(read.name, read.text);
        this.files = [...this.files, { ...read, tokens: estimateTokens(block), estimated: true }];
      } catch (e) {
        problems.push(`${file.name} ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (problems.length) this.error = problems.join('\n');
    await this.recount();
  }

  remove(index: number): void {
    this.files = this.files.filter((_, i) => i !== index);
    this.error = null;
  }

  /** The files to send with a message; the composer (files and typed text) is empty afterwards. */
  take(): ChatFile[] {
    const files = this.files;
    this.files = [];
    this.draft = '';
    this.error = null;
    return files;
  }

  /** Counts the files and the history with the model's tokenizer, or estimates them. */
  async recount(): Promise<void> {
    const seq = ++this.#seq;
    const files = this.files;
    const history = this.src.history();
    const model = this.src.model();
    const blocks = files.map((f) => fileBlock(f.name, f.text));
    const overhead = history.length * MESSAGE_OVERHEAD;
    let counted: { counts: number[] | null; contextLength: number } | null = null;
    if (model !== null && files.length > 0) {
      try {
        counted = await this.app.api.call('models.countTokens', {
          model,
          texts: [history.join('\n'), ...blocks],
        });
      } catch {
        // Not a model the sidecar has (a provider's), or the sidecar is restarting: estimates it is.
        counted = null;
      }
    }
    if (seq !== this.#seq) return; // a newer count started meanwhile
    const counts = counted?.counts ?? null;
    this.contextLength = counted?.contextLength ?? null;
    this.estimated = counts === null;
    this.historyTokens =
      (counts ? counts[0]! : history.reduce((n, t) => n + estimateTokens(t), 0)) + overhead;
    // Files added while the count ran keep their estimate until the next count.
    this.files = this.files.map((f) => {
      const i = files.findIndex((x) => x.name === f.name && x.text === f.text);
      if (i < 0) return f;
      return counts
        ? { ...f, tokens: counts[i + 1]!, estimated: false }
        : { ...f, tokens: estimateTokens(blocks[i]!), estimated: true };
    });
  }
}
