// Hub client on @huggingface/hub: search, model info, file tree, small text files, and the model-details view
// (files with sizes and LFS hashes, config summary, gated/private, license, sanitized card).
import { downloadFile, HubApiError, listFiles, listModels, modelInfo } from '@huggingface/hub';
import { CoreError } from '../errors/index.ts';
import {
  assertRepoId,
  assertRevision,
  assertSafeRelative,
  isBlobId,
  isCommitSha,
  SHA256,
} from '../hfcache/index.ts';
import { renderCard } from './card.ts';
import type { Http } from './hubHttp.ts';
import { parseConfig, summarizeConfig, type ConfigSummary, type ModelKind } from './modelConfig.ts';

export type SearchSort = 'downloads' | 'likes' | 'trending' | 'recent';

export interface SearchParams {
  query?: string;
  author?: string;
  /** Library tag, e.g. "mlx". */
  library?: string;
  /** pipeline_tag, e.g. "text-generation". */
  task?: string;
  sort?: SearchSort;
  page?: number;
  pageSize?: number;
}

export interface SearchItem {
  id: string;
  downloads: number;
  likes: number;
  gated: false | 'auto' | 'manual';
  private: boolean;
  task: string | null;
  updatedAt: string;
  tags: string[];
}

export interface SearchPage {
  items: SearchItem[];
  page: number;
  pageSize: number;
  hasMore: boolean;
}

export interface TreeFile {
  path: string;
  size: number;
  /** git blob sha1: the blob name of a regular file in the HF cache. */
  oid: string;
  /** sha256 of an LFS file: its blob name in the HF cache. */
  lfsSha256: string | null;
}

export interface RepoInfo {
  id: string;
  sha: string;
  gated: false | 'auto' | 'manual';
  private: boolean;
  license: string | null;
  tags: string[];
  pipelineTag: string | null;
  libraryName: string | null;
  downloads: number;
  likes: number;
  lastModified: string;
}

export interface ModelDetails extends RepoInfo {
  revision: string;
  files: TreeFile[];
  totalBytes: number;
  weightsBytes: number;
  config: ConfigSummary;
  kind: ModelKind;
  cardHtml: string | null;
}

const SORT: Record<SearchSort, 'downloads' | 'likes' | 'trendingScore' | 'lastModified'> = {
  downloads: 'downloads',
  likes: 'likes',
  trending: 'trendingScore',
  recent: 'lastModified',
};

const WEIGHT_FILE = /\.(safetensors|gguf|bin|npz)$/;

/** Maps any failure of a Hub call to the core's one error type with a message a user can act on. */
export function hubError(e: unknown, what: string, hasToken: boolean): CoreError {
  if (e instanceof CoreError) return e;
  if (e instanceof HubApiError) {
    const s = e.statusCode;
    if (s === 401 || s === 403) {
      return new CoreError(
        'unauthorized',
        hasToken
          ? `${what}: the Hub refused access (HTTP ${s}). Accept the model's terms on its Hub page with the account of your token, or check the token.`
          : `${what}: this model is gated or private. Accept its terms on the Hub and set a Hugging Face token (settings or HF_TOKEN).`,
        { status: s },
      );
    }
    if (s === 404)
      return new CoreError('not_found', `${what}: not found on the Hub`, { status: s });
    return new CoreError('internal', `${what}: the Hub answered HTTP ${s}`, { status: s });
  }
  const msg =
    e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
  return new CoreError('internal', `${what}: cannot reach the Hub (${msg})`, { network: true });
}

/** A value from the Hub that would become a cache path part but has not the shape of one: a broken or hostile mirror. */
function badHubValue(what: string, value: unknown, where: string): CoreError {
  return new CoreError(
    'internal',
    `the Hub sent an invalid ${what} for ${where}: ${JSON.stringify(value)}`,
    { hub: true },
  );
}

export interface HubClient {
  search(p: SearchParams): Promise<SearchPage>;
  /** The repo at a revision, resolved to its commit. */
  info(repo: string, revision?: string): Promise<RepoInfo>;
  /** Every file of the repo at a revision, with its size and the hashes its cache blob is named by. */
  tree(repo: string, revision: string): Promise<TreeFile[]>;
  /** A small text file of the repo, or null if it does not exist; bigger than maxBytes is refused. */
  readText(repo: string, revision: string, file: string, maxBytes?: number): Promise<string | null>;
  details(repo: string, revision?: string): Promise<ModelDetails>;
}

export function createHubClient(http: Http): HubClient {
  // Our fetch adds the token to requests to the Hub itself; it is read (decrypted) per request, never kept here.
  const base = { hubUrl: http.hubUrl, fetch: http.fetch };
  const hasToken = (): boolean => http.token() !== null;

  async function search(p: SearchParams): Promise<SearchPage> {
    const pageSize = Math.min(Math.max(p.pageSize ?? 30, 1), 100);
    const page = Math.max(p.page ?? 0, 0);
    const skip = page * pageSize;
    const items: SearchItem[] = [];
    let seen = 0;
    try {
      // One item beyond the page tells whether another page exists; listModels follows Link pagination itself.
      for await (const m of listModels({
        ...base,
        search: {
          ...(p.query ? { query: p.query } : {}),
          ...(p.author ? { owner: p.author } : {}),
          ...(p.task ? { task: p.task as never } : {}),
          ...(p.library ? { tags: [p.library] } : {}),
        },
        sort: p.sort ? SORT[p.sort] : undefined,
        limit: skip + pageSize + 1,
        additionalFields: ['tags'],
      })) {
        if (seen++ < skip) continue;
        items.push({
          id: m.name,
          downloads: m.downloads ?? 0,
          likes: m.likes ?? 0,
          gated: m.gated ?? false,
          private: m.private ?? false,
          task: m.task ?? null,
          updatedAt: m.updatedAt.toISOString(),
          tags: (m as { tags?: string[] }).tags ?? [],
        });
      }
    } catch (e) {
      throw hubError(e, 'search', hasToken());
    }
    const hasMore = items.length > pageSize;
    return { items: items.slice(0, pageSize), page, pageSize, hasMore };
  }

  async function info(repo: string, revision = 'main'): Promise<RepoInfo> {
    assertRepoId(repo);
    assertRevision(revision);
    let info: RepoInfo;
    try {
      const m = await modelInfo({
        ...base,
        name: repo,
        revision,
        additionalFields: ['sha', 'tags', 'cardData', 'library_name'],
      });
      const card = (m.cardData ?? {}) as { license?: unknown };
      info = {
        id: m.name,
        sha: m.sha,
        gated: m.gated ?? false,
        private: m.private ?? false,
        license: typeof card.license === 'string' ? card.license : null,
        tags: m.tags ?? [],
        pipelineTag: m.task ?? null,
        libraryName: m.library_name ?? null,
        downloads: m.downloads ?? 0,
        likes: m.likes ?? 0,
        lastModified: m.updatedAt.toISOString(),
      };
    } catch (e) {
      throw hubError(e, `model ${repo}`, hasToken());
    }
    // The commit names the snapshot folder and goes into every file URL: checked here, where it enters.
    if (!isCommitSha(info.sha)) throw badHubValue('commit sha', info.sha, repo);
    return info;
  }

  async function tree(repo: string, revision: string): Promise<TreeFile[]> {
    assertRepoId(repo);
    assertRevision(revision);
    const out: TreeFile[] = [];
    try {
      for await (const f of listFiles({ ...base, repo, revision, recursive: true })) {
        if (f.type !== 'file') continue;
        out.push({
          path: f.path,
          size: f.lfs?.size ?? f.size,
          oid: f.oid ?? '',
          lfsSha256: f.lfs?.oid ?? null,
        });
      }
    } catch (e) {
      throw hubError(e, `file list of ${repo}`, hasToken());
    }
    // Paths name snapshot pointers and the hashes name blobs: each is checked before anything can use it.
    for (const f of out) {
      try {
        assertSafeRelative(f.path);
      } catch {
        throw badHubValue('file path', f.path, repo);
      }
      if (!isBlobId(f.oid)) throw badHubValue('blob id', f.oid, `${f.path} of ${repo}`);
      if (f.lfsSha256 !== null && !SHA256.test(f.lfsSha256))
        throw badHubValue('blob id (LFS sha256)', f.lfsSha256, `${f.path} of ${repo}`);
    }
    return out;
  }

  /** A small text file of the repo, or null if it does not exist; bigger than maxBytes is refused. */
  async function readText(
    repo: string,
    revision: string,
    file: string,
    maxBytes = 4 * 2 ** 20,
  ): Promise<string | null> {
    try {
      const blob = await downloadFile({ ...base, repo, revision, path: file, xet: false });
      if (!blob) return null;
      if (blob.size > maxBytes)
        throw new CoreError(
          'validation',
          `${file} of ${repo} is too large to read (${blob.size} bytes)`,
        );
      return await blob.text();
    } catch (e) {
      if (e instanceof HubApiError && e.statusCode === 404) return null;
      throw hubError(e, `${file} of ${repo}`, hasToken());
    }
  }

  async function details(repo: string, revision = 'main'): Promise<ModelDetails> {
    const i = await info(repo, revision);
    // Read at the resolved commit so files, config and card describe one and the same snapshot.
    const files = await tree(repo, i.sha);
    const names = files.map((f) => f.path);
    const gatedNoToken = i.gated !== false && !hasToken();
    const configText =
      !gatedNoToken && names.includes('config.json')
        ? await readText(repo, i.sha, 'config.json')
        : null;
    const readme =
      !gatedNoToken && names.includes('README.md')
        ? await readText(repo, i.sha, 'README.md')
        : null;
    const config = summarizeConfig(configText ? parseConfig(configText) : null, {
      pipelineTag: i.pipelineTag,
      files: names,
    });
    return {
      ...i,
      revision,
      files,
      totalBytes: files.reduce((a, f) => a + f.size, 0),
      weightsBytes: files.filter((f) => WEIGHT_FILE.test(f.path)).reduce((a, f) => a + f.size, 0),
      config,
      kind: config.kind,
      cardHtml: readme === null ? null : renderCard(readme),
    };
  }

  return { search, info, tree, readText, details };
}
