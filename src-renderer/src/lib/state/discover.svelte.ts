// Discover screen state: the curated landing (fit per pick, downloaded ones marked), Hub search as you type or
// with filters and paging, per-result details (size, quantization, kind, fit) fetched after the list shows.
import type { MethodInput, MethodResult } from '#shared/contract/index.ts';
import { CURATED_MODELS, type CuratedModel } from '#shared/curatedModels.ts';
import type { AppState } from './app.svelte.ts';
import { errorMessage } from '../ui/validation.ts';

export type SearchItem = MethodResult<'hub.search'>['items'][number];
export type Details = MethodResult<'hub.details'>;
type Sort = NonNullable<MethodInput<'hub.search'>['sort']>;

const DETAIL_CONCURRENCY = 4;
/** Typing pauses this long before the search goes out (one request per pause, not per key). */
export const TYPE_DELAY_MS = 300;

export class DiscoverState {
  readonly app: AppState;
  query = $state('');
  author = $state('');
  task = $state('');
  sort = $state<Sort>('downloads');
  page = $state(0);
  items = $state<SearchItem[]>([]);
  hasMore = $state(false);
  searched = $state(false);
  loading = $state(false);
  error = $state<string | null>(null);
  /** Details per repo id: the data, or the reason it could not be read. */
  details = $state<Record<string, Details | { error: string }>>({});
  opened = $state<string | null>(null);
  readonly curated: readonly CuratedModel[] = CURATED_MODELS;
  /** Repo ids already in the library (marked on the landing and in results). */
  downloaded = $state<string[]>([]);
  #seq = 0;
  #typing: ReturnType<typeof setTimeout> | null = null;

  constructor(app: AppState) {
    this.app = app;
  }

  /** The landing: which models are here already, then each curated pick's details and fit. */
  async landing(): Promise<void> {
    await this.refreshDownloaded();
    await this.#fetchDetails(
      this.curated.map((c) => c.repoId),
      () => true,
    );
  }

  isDownloaded(repoId: string): boolean {
    return this.downloaded.includes(repoId);
  }

  async refreshDownloaded(): Promise<void> {
    try {
      const lib = await this.app.api.call('library.list', {});
      this.downloaded = lib.map((m) => m.repoId);
    } catch {
      // Without the library the marks are missing, nothing else.
    }
  }

  /** Search as you type: the query searched after a pause; an emptied box goes back to the landing. */
  type(query: string): void {
    this.query = query;
    if (this.#typing) clearTimeout(this.#typing);
    this.#typing = setTimeout(() => {
      this.#typing = null;
      if (this.query.trim() === '' && !this.author.trim() && !this.task) {
        this.#seq++;
        this.items = [];
        this.searched = false;
        this.loading = false;
      } else void this.search(0);
    }, TYPE_DELAY_MS);
  }

  async search(page = 0): Promise<void> {
    if (this.#typing) clearTimeout(this.#typing);
    this.#typing = null;
    const seq = ++this.#seq;
    this.loading = true;
    this.error = null;
    try {
      const r = await this.app.api.call('hub.search', {
        query: this.query.trim() || undefined,
        author: this.author.trim() || undefined,
        task: this.task || undefined,
        sort: this.sort,
        page,
        pageSize: 20,
      });
      if (seq !== this.#seq) return; // a newer search won
      this.items = r.items;
      this.hasMore = r.hasMore;
      this.page = r.page;
      this.searched = true;
      void this.#fetchDetails(
        r.items.map((i) => i.id),
        () => seq === this.#seq,
      );
    } catch (e) {
      if (seq === this.#seq) this.error = errorMessage(e);
    } finally {
      if (seq === this.#seq) this.loading = false;
    }
  }

  async open(repoId: string): Promise<void> {
    this.opened = repoId;
    if (!this.details[repoId] || 'error' in this.details[repoId]) await this.#detail(repoId);
  }

  async #detail(repoId: string): Promise<void> {
    try {
      const d = await this.app.api.call('hub.details', { repoId });
      this.details = { ...this.details, [repoId]: d };
    } catch (e) {
      this.details = { ...this.details, [repoId]: { error: errorMessage(e) } };
    }
  }

  async #fetchDetails(ids: string[], live: () => boolean): Promise<void> {
    const queue = ids.filter((id) => !this.details[id]);
    const worker = async () => {
      while (queue.length && live()) await this.#detail(queue.shift()!);
    };
    await Promise.all(Array.from({ length: DETAIL_CONCURRENCY }, worker));
  }
}
