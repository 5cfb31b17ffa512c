// Discover screen state: Hub search with filters and paging, per-result details (size, quantization,
// kind, fit) fetched after the list shows, and the opened model with its card.
import type { MethodInput, MethodResult } from '#shared/contract/index.ts';
import type { AppState } from './app.svelte.ts';
import { errorMessage } from '../ui/validation.ts';

export type SearchItem = MethodResult<'hub.search'>['items'][number];
export type Details = MethodResult<'hub.details'>;
type Sort = NonNullable<MethodInput<'hub.search'>['sort']>;

const DETAIL_CONCURRENCY = 4;

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
  #seq = 0;

  constructor(app: AppState) {
    this.app = app;
  }

  async search(page = 0): Promise<void> {
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
        seq,
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

  async #fetchDetails(ids: string[], seq: number): Promise<void> {
    const queue = ids.filter((id) => !this.details[id]);
    const worker = async () => {
      while (queue.length && seq === this.#seq) await this.#detail(queue.shift()!);
    };
    await Promise.all(Array.from({ length: DETAIL_CONCURRENCY }, worker));
  }
}
