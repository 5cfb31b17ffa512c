// Test support: a local server that speaks the Hugging Face Hub's HTTP protocol over repos in a fixture folder,
// with a second "CDN" listener for LFS bodies, fault injection (drop, stall, 5xx, wrong bytes, slow rate), and a
// hostile mode that lies about commits, blob ids and file paths as a malicious mirror could.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** Per-repo metadata, read from `<root>/<org>/<name>.meta.json` (beside the repo folder, not in it). */
export interface RepoMeta {
  gated?: false | 'auto' | 'manual';
  private?: boolean;
  pipeline_tag?: string;
  library_name?: string;
  tags?: string[];
  downloads?: number;
  likes?: number;
  trendingScore?: number;
  lastModified?: string;
  createdAt?: string;
  cardData?: Record<string, unknown>;
}

interface RepoFile {
  path: string;
  abs: string;
  size: number;
  gitOid: string;
  lfs: { sha256: string; pointerSize: number } | null;
  /** Listed only: the folder holds its LFS pointer, not its bytes (a listing-only repo, as the Hub shows
   * a model too big to keep here); a request for its body is refused. */
  pointerOnly?: boolean;
}

interface Repo {
  id: string;
  dir: string;
  meta: RepoMeta;
  commit: string;
  files: RepoFile[];
}

export type Fault =
  | { kind: 'drop'; at: number }
  | { kind: 'stall'; at: number }
  | { kind: 'corrupt'; at: number }
  | { kind: 'slow'; bytesPerSec: number }
  | { kind: 'status'; status: number; on: 'resolve' | 'cdn' | 'api' };

export type FaultRule = Fault & {
  /** Repo file path the fault applies to ('*' = any); ignored for `status` on 'api'. */
  path: string;
  /** How many requests it hits before it is used up (default 1). */
  times?: number;
};

/** What a hostile mirror lies about: values a client must refuse before any of them becomes a path. */
export interface Hostile {
  /** Commit sha reported for every repo (model info `sha`, X-Repo-Commit), and accepted as a revision. */
  commit?: string;
  /** Git blob id (`oid`) in the tree listing, by repo file path. */
  oid?: Record<string, string>;
  /** LFS sha256 (`lfs.oid`) in the tree listing, by repo file path. */
  lfsOid?: Record<string, string>;
  /** File path in the tree listing, by real repo file path. */
  path?: Record<string, string>;
}

export interface HubServer {
  url: string;
  cdnUrl: string;
  /** The one token the server accepts for gated and private repos. */
  token: string;
  inject(rule: FaultRule): void;
  clearFaults(): void;
  /** Turns hostile mode on (or off with null); it applies to every repo. */
  setHostile(h: Hostile | null): void;
  /** Body bytes sent for a repo file (both hosts, all requests). */
  bytesServed(repo: string, file: string): number;
  /** Count of body requests (GET on resolve or CDN) per repo file. */
  bodyRequests(repo: string, file: string): number;
  resetStats(): void;
  /** Re-reads the fixture folder (after a test adds a repo). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export interface HubServerOptions {
  root: string;
  token?: string;
  /** Files at least this big, or with a weight extension, are stored as LFS (the real Hub uses .gitattributes). */
  lfsThreshold?: number;
  /** Most items per page of a listing (the Hub caps pages too; small values exercise Link pagination). */
  pageCap?: number;
}

const LFS_EXT = /\.(safetensors|bin|gguf|npz|pt|pth|onnx|msgpack|h5)$/;

function gitBlobOid(abs: string, size: number): Promise<string> {
  return hashFile(abs, 'sha1', `blob ${size}\0`);
}

function hashFile(abs: string, algo: string, prefix = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = crypto.createHash(algo);
    if (prefix) h.update(prefix);
    fs.createReadStream(abs, { highWaterMark: 1 << 20 })
      .on('data', (b) => h.update(b))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

function lfsPointer(sha256: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
}

function parsePointer(text: string): { sha256: string; size: number } | null {
  const m =
    /^version https:\/\/git-lfs\.github\.com\/spec\/v1\noid sha256:([0-9a-f]{64})\nsize (\d+)\n$/.exec(
      text,
    );
  return m ? { sha256: m[1]!, size: Number(m[2]) } : null;
}

/** Writes an LFS pointer in place of a file: the server lists it with this size and sha256, and has no body. */
export function writeLfsPointer(file: string, size: number, sha256: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lfsPointer(sha256, size));
}

function walk(dir: string, base = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(path.join(dir, e.name), rel));
    else if (e.isFile()) out.push(rel);
  }
  return out.sort();
}

// Hashes of big fixture files are cached by (path, size, mtime) so reloads stay cheap.
const hashCache = new Map<string, { gitOid: string; sha256: string }>();

async function loadRepo(root: string, id: string, lfsThreshold: number): Promise<Repo> {
  const dir = path.join(root, ...id.split('/'));
  const metaFile = `${dir}.meta.json`;
  const meta: RepoMeta = fs.existsSync(metaFile)
    ? (JSON.parse(fs.readFileSync(metaFile, 'utf8')) as RepoMeta)
    : {};
  const files: RepoFile[] = [];
  for (const rel of walk(dir)) {
    const abs = path.join(dir, ...rel.split('/'));
    const st = fs.statSync(abs);
    const pointer = st.size < 300 ? parsePointer(fs.readFileSync(abs, 'utf8')) : null;
    if (pointer) {
      const text = lfsPointer(pointer.sha256, pointer.size);
      files.push({
        path: rel,
        abs,
        size: pointer.size,
        gitOid: crypto.createHash('sha1').update(`blob ${text.length}\0${text}`).digest('hex'),
        lfs: { sha256: pointer.sha256, pointerSize: text.length },
        pointerOnly: true,
      });
      continue;
    }
    const key = `${abs}:${st.size}:${st.mtimeMs}`;
    let h = hashCache.get(key);
    if (!h) {
      const isLfs = st.size >= lfsThreshold || LFS_EXT.test(rel);
      const sha256 = isLfs ? await hashFile(abs, 'sha256') : '';
      const gitOid = isLfs
        ? crypto
            .createHash('sha1')
            .update(`blob ${lfsPointer(sha256, st.size).length}\0${lfsPointer(sha256, st.size)}`)
            .digest('hex')
        : await gitBlobOid(abs, st.size);
      h = { gitOid, sha256 };
      hashCache.set(key, h);
    }
    files.push({
      path: rel,
      abs,
      size: st.size,
      gitOid: h.gitOid,
      lfs: h.sha256
        ? { sha256: h.sha256, pointerSize: lfsPointer(h.sha256, st.size).length }
        : null,
    });
  }
  const commit = crypto
    .createHash('sha1')
    .update(JSON.stringify([id, files.map((f) => [f.path, f.gitOid])]))
    .digest('hex');
  return { id, dir, meta, commit, files };
}

async function loadRepos(root: string, lfsThreshold: number): Promise<Map<string, Repo>> {
  const repos = new Map<string, Repo>();
  if (!fs.existsSync(root)) return repos;
  for (const org of fs.readdirSync(root, { withFileTypes: true })) {
    if (!org.isDirectory()) continue;
    for (const name of fs.readdirSync(path.join(root, org.name), { withFileTypes: true })) {
      if (!name.isDirectory()) continue;
      const id = `${org.name}/${name.name}`;
      repos.set(id, await loadRepo(root, id, lfsThreshold));
    }
  }
  return repos;
}

function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'bad' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return 'bad';
  let start: number;
  let end: number;
  if (m[1] === '' && m[2] !== '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'bad';
  return { start, end };
}

function json(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function hubError(res: http.ServerResponse, status: number, code: string, message: string): void {
  json(res, status, { error: message }, { 'X-Error-Code': code, 'X-Error-Message': message });
}

export async function startHubServer(opts: HubServerOptions): Promise<HubServer> {
  const token = opts.token ?? 'hf_test_' + crypto.randomBytes(8).toString('hex');
  const lfsThreshold = opts.lfsThreshold ?? 10 * 1024 * 1024;
  let repos = await loadRepos(opts.root, lfsThreshold);
  let faults: Array<FaultRule & { left: number }> = [];
  let hostile: Hostile | null = null;
  const served = new Map<string, number>();
  const bodyReqs = new Map<string, number>();
  const sockets = new Set<import('node:net').Socket>();

  const takeFault = (file: string, pred: (f: Fault) => boolean): Fault | null => {
    const i = faults.findIndex((f) => (f.path === '*' || f.path === file) && f.left > 0 && pred(f));
    if (i < 0) return null;
    const f = faults[i]!;
    f.left--;
    return f;
  };

  const authorized = (req: http.IncomingMessage): boolean =>
    req.headers.authorization === `Bearer ${token}`;

  /** null when access is allowed, else the error has been sent. */
  const guard = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    repo: Repo,
    files: boolean,
  ): boolean => {
    if (repo.meta.private && !authorized(req)) {
      hubError(res, 401, 'RepoNotFound', `Repository Not Found for url: ${req.url}.`);
      return false;
    }
    if (files && repo.meta.gated && !authorized(req)) {
      hubError(
        res,
        401,
        'GatedRepo',
        `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
      );
      return false;
    }
    return true;
  };

  const findRepo = (id: string): Repo | undefined => repos.get(id);

  const commitOf = (repo: Repo): string => hostile?.commit ?? repo.commit;

  const revisionOk = (repo: Repo, rev: string): boolean =>
    rev === 'main' || rev === repo.commit || rev === 'HEAD' || rev === hostile?.commit;

  const statusFault = (
    res: http.ServerResponse,
    file: string,
    on: 'resolve' | 'cdn' | 'api',
  ): boolean => {
    const f = takeFault(file, (x) => x.kind === 'status' && x.on === on);
    if (!f || f.kind !== 'status') return false;
    json(res, f.status, { error: 'injected failure' });
    return true;
  };

  /** Streams a byte range of a file, applying any body fault that matches. */
  const sendBody = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    repo: Repo,
    file: RepoFile,
    headers: Record<string, string>,
  ): void => {
    if (file.pointerOnly) {
      hubError(res, 404, 'EntryNotFound', `${repo.id}/${file.path}: listed only, no body here`);
      return;
    }
    const range = parseRange(req.headers.range, file.size);
    if (range === 'bad') {
      res.writeHead(416, { 'Content-Range': `bytes */${file.size}` });
      res.end();
      return;
    }
    const start = range ? range.start : 0;
    const end = range ? range.end : file.size - 1;
    const length = file.size === 0 ? 0 : end - start + 1;
    const base = {
      ...headers,
      'Accept-Ranges': 'bytes',
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(length),
    };
    if (range)
      res.writeHead(206, { ...base, 'Content-Range': `bytes ${start}-${end}/${file.size}` });
    else res.writeHead(200, base);
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    const key = `${repo.id}:${file.path}`;
    bodyReqs.set(key, (bodyReqs.get(key) ?? 0) + 1);
    const inRange = (at: number): boolean => at >= start && at <= end;
    const fault = takeFault(file.path, (f) =>
      f.kind === 'slow' ? true : f.kind !== 'status' && inRange(f.at),
    );
    const count = (n: number): void => {
      served.set(key, (served.get(key) ?? 0) + n);
    };
    if (!fault) {
      const rs = fs.createReadStream(file.abs, { start, end, highWaterMark: 1 << 20 });
      rs.on('data', (b) => count(b.length));
      rs.pipe(res);
      res.on('close', () => rs.destroy());
      return;
    }
    // Fault path: a manual read loop so the byte offset of every write is known.
    const fd = fs.openSync(file.abs, 'r');
    let pos = start;
    let closed = false;
    const finish = (): void => {
      if (!closed) {
        closed = true;
        fs.closeSync(fd);
      }
    };
    res.on('close', finish);
    const chunk =
      fault.kind === 'slow' ? Math.max(1024, Math.floor(fault.bytesPerSec / 20)) : 256 * 1024;
    const pump = (): void => {
      if (closed) return;
      if (pos > end) {
        res.end();
        finish();
        return;
      }
      let n = Math.min(chunk, end - pos + 1);
      if ((fault.kind === 'drop' || fault.kind === 'stall') && pos < fault.at)
        n = Math.min(n, fault.at - pos);
      if ((fault.kind === 'drop' || fault.kind === 'stall') && pos === fault.at) {
        if (fault.kind === 'drop') {
          res.socket?.destroy();
        }
        // stall: keep the connection open and silent until the client gives up
        finish();
        return;
      }
      const buf = Buffer.alloc(n);
      fs.readSync(fd, buf, 0, n, pos);
      if (fault.kind === 'corrupt' && fault.at >= pos && fault.at < pos + n)
        buf[fault.at - pos] = (buf[fault.at - pos] ?? 0) ^ 0xff;
      pos += n;
      count(n);
      const ok = res.write(buf);
      const next = (): void => {
        if (fault.kind === 'slow') setTimeout(pump, Math.ceil((n / fault.bytesPerSec) * 1000));
        else setImmediate(pump);
      };
      if (ok) next();
      else res.once('drain', next);
    };
    pump();
  };

  let cdnBase = '';
  let apiBase = '';

  const handleResolve = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    repo: Repo,
    rev: string,
    filePath: string,
  ): void => {
    if (!guard(req, res, repo, true)) return;
    if (!revisionOk(repo, rev))
      return hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    const file = repo.files.find((f) => f.path === filePath);
    if (!file) return hubError(res, 404, 'EntryNotFound', `Entry not found: ${filePath}`);
    if (statusFault(res, file.path, 'resolve')) return;
    const common = { 'X-Repo-Commit': commitOf(repo) };
    if (file.lfs) {
      // The Hub answers LFS files with a redirect to its CDN and describes the linked blob in X-Linked-* headers.
      const location = `${cdnBase}/lfs/${repo.id}/${file.lfs.sha256}?file=${encodeURIComponent(file.path)}`;
      res.writeHead(302, {
        ...common,
        Location: location,
        ETag: `"${file.gitOid}"`,
        'X-Linked-Etag': `"${file.lfs.sha256}"`,
        'X-Linked-Size': String(file.size),
        'Content-Length': '0',
      });
      res.end();
      return;
    }
    sendBody(req, res, repo, file, { ...common, ETag: `"${file.gitOid}"` });
  };

  const handleCdn = (req: http.IncomingMessage, res: http.ServerResponse, url: URL): void => {
    const m = /^\/lfs\/([^/]+\/[^/]+)\/([0-9a-f]{64})$/.exec(url.pathname);
    const repo = m ? findRepo(m[1]!) : undefined;
    const file = repo?.files.find(
      (f) => f.lfs?.sha256 === m![2] && f.path === url.searchParams.get('file'),
    );
    if (!repo || !file) return hubError(res, 404, 'EntryNotFound', 'no such object');
    if (statusFault(res, file.path, 'cdn')) return;
    sendBody(req, res, repo, file, { ETag: `"${file.lfs!.sha256}"` });
  };

  const modelJson = (repo: Repo, url: URL): Record<string, unknown> => {
    const withBlobs = url.searchParams.get('blobs') === 'true';
    const configFile = repo.files.find((f) => f.path === 'config.json');
    let config: Record<string, unknown> | undefined;
    if (configFile) {
      try {
        const c = JSON.parse(fs.readFileSync(configFile.abs, 'utf8')) as Record<string, unknown>;
        config = { architectures: c.architectures, model_type: c.model_type };
      } catch {
        config = undefined;
      }
    }
    const now = '2025-01-01T00:00:00.000Z';
    return {
      _id: crypto.createHash('md5').update(repo.id).digest('hex').slice(0, 24),
      id: repo.id,
      modelId: repo.id,
      author: repo.id.split('/')[0],
      sha: commitOf(repo),
      lastModified: repo.meta.lastModified ?? now,
      createdAt: repo.meta.createdAt ?? now,
      private: repo.meta.private ?? false,
      gated: repo.meta.gated ?? false,
      disabled: false,
      downloads: repo.meta.downloads ?? 0,
      likes: repo.meta.likes ?? 0,
      trendingScore: repo.meta.trendingScore ?? 0,
      library_name: repo.meta.library_name,
      pipeline_tag: repo.meta.pipeline_tag,
      tags: repo.meta.tags ?? [],
      cardData: repo.meta.cardData,
      config,
      usedStorage: repo.files.reduce((a, f) => a + f.size, 0),
      siblings: repo.files.map((f) =>
        withBlobs
          ? {
              rfilename: f.path,
              size: f.size,
              blobId: f.gitOid,
              ...(f.lfs
                ? { lfs: { sha256: f.lfs.sha256, size: f.size, pointerSize: f.lfs.pointerSize } }
                : {}),
            }
          : { rfilename: f.path },
      ),
    };
  };

  const page = <T>(res: http.ServerResponse, url: URL, items: T[], defaultLimit: number): void => {
    const limit = Math.max(
      1,
      Math.min(
        Number(url.searchParams.get('limit') ?? defaultLimit) || defaultLimit,
        opts.pageCap ?? 1000,
      ),
    );
    const cursor = url.searchParams.get('cursor');
    const offset = cursor ? Number(Buffer.from(cursor, 'base64url').toString()) || 0 : 0;
    const slice = items.slice(offset, offset + limit);
    const headers: Record<string, string> = {};
    if (offset + limit < items.length) {
      const next = new URL(url.toString(), apiBase);
      next.searchParams.set('cursor', Buffer.from(String(offset + limit)).toString('base64url'));
      headers.Link = `<${apiBase}${next.pathname}${next.search}>; rel="next"`;
    }
    json(res, 200, slice, headers);
  };

  const handleSearch = (req: http.IncomingMessage, res: http.ServerResponse, url: URL): void => {
    if (statusFault(res, '*', 'api')) return;
    const q = url.searchParams;
    const search = q.get('search')?.toLowerCase();
    const author = q.get('author');
    const filters = q.getAll('filter').flatMap((f) => f.split(','));
    const task = q.get('pipeline_tag');
    let list = [...repos.values()].filter((r) => !r.meta.private || authorized(req));
    if (search) list = list.filter((r) => r.id.toLowerCase().includes(search));
    if (author) list = list.filter((r) => r.id.split('/')[0] === author);
    if (task) list = list.filter((r) => r.meta.pipeline_tag === task);
    for (const f of filters)
      list = list.filter((r) => (r.meta.tags ?? []).includes(f) || r.meta.library_name === f);
    const sort = q.get('sort');
    const dir = q.get('direction') === '1' ? 1 : -1;
    const key = (r: Repo): number | string => {
      switch (sort) {
        case 'downloads':
          return r.meta.downloads ?? 0;
        case 'likes':
          return r.meta.likes ?? 0;
        case 'trendingScore':
          return r.meta.trendingScore ?? 0;
        case 'lastModified':
          return r.meta.lastModified ?? '';
        case 'createdAt':
          return r.meta.createdAt ?? '';
        default:
          return r.id;
      }
    };
    if (sort)
      list.sort((a, b) =>
        key(a) < key(b) ? -dir : key(a) > key(b) ? dir : a.id.localeCompare(b.id),
      );
    else list.sort((a, b) => a.id.localeCompare(b.id));
    page(
      res,
      url,
      list.map((r) => modelJson(r, url)),
      1000,
    );
  };

  const handleTree = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    repo: Repo,
    rev: string,
    sub: string,
  ): void => {
    if (!guard(req, res, repo, false)) return;
    if (!revisionOk(repo, rev))
      return hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    const recursive = ['true', 'True', '1'].includes(url.searchParams.get('recursive') ?? '');
    const prefix = sub ? `${sub}/` : '';
    const entries: Array<Record<string, unknown>> = [];
    const dirs = new Set<string>();
    for (const f of repo.files) {
      if (!f.path.startsWith(prefix)) continue;
      const rest = f.path.slice(prefix.length);
      const parts = rest.split('/');
      for (let i = 1; i < parts.length; i++) {
        const d = prefix + parts.slice(0, i).join('/');
        if (!recursive && i > 1) break;
        if (!dirs.has(d)) {
          dirs.add(d);
          entries.push({
            type: 'directory',
            oid: crypto.createHash('sha1').update(d).digest('hex'),
            size: 0,
            path: d,
          });
        }
      }
      if (!recursive && parts.length > 1) continue;
      entries.push({
        type: 'file',
        oid: hostile?.oid?.[f.path] ?? f.gitOid,
        size: f.size,
        path: hostile?.path?.[f.path] ?? f.path,
        ...(f.lfs
          ? {
              lfs: {
                oid: hostile?.lfsOid?.[f.path] ?? f.lfs.sha256,
                size: f.size,
                pointerSize: f.lfs.pointerSize,
              },
            }
          : {}),
      });
    }
    page(res, url, entries, 1000);
  };

  const api = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', apiBase);
    const p = decodeURIComponent(url.pathname);
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && p === '/api/models') return handleSearch(req, res, url);
    if ((m = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(p))) {
      const repo = findRepo(m[1]!);
      if (!repo) return hubError(res, 404, 'RepoNotFound', `Repository not found: ${m[1]}`);
      return handleTree(req, res, url, repo, m[2]!, m[3] ?? '');
    }
    if ((m = /^\/api\/models\/([^/]+\/[^/]+)(?:\/revision\/([^/]+))?$/.exec(p))) {
      if (statusFault(res, '*', 'api')) return;
      const repo = findRepo(m[1]!);
      if (!repo || (repo.meta.private && !authorized(req)))
        return hubError(res, 404, 'RepoNotFound', `Repository not found: ${m[1]}`);
      if (m[2] && !revisionOk(repo, m[2]))
        return hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${m[2]}`);
      return json(res, 200, modelJson(repo, url));
    }
    if ((m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(p))) {
      const repo = findRepo(m[1]!);
      if (!repo) return hubError(res, 404, 'RepoNotFound', `Repository not found: ${m[1]}`);
      return handleResolve(req, res, repo, m[2]!, m[3]!);
    }
    hubError(res, 404, 'NotFound', `no route for ${req.method} ${p}`);
  });
  const cdn = http.createServer((req, res) =>
    handleCdn(req, res, new URL(req.url ?? '/', cdnBase)),
  );

  for (const s of [api, cdn]) {
    s.on('connection', (sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
  }
  const listen = (s: http.Server): Promise<number> =>
    new Promise((resolve) =>
      s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)),
    );
  apiBase = `http://127.0.0.1:${await listen(api)}`;
  cdnBase = `http://127.0.0.1:${await listen(cdn)}`;

  return {
    url: apiBase,
    cdnUrl: cdnBase,
    token,
    inject: (rule) => {
      faults.push({ ...rule, left: rule.times ?? 1 });
    },
    clearFaults: () => {
      faults = [];
    },
    setHostile: (h) => {
      hostile = h;
    },
    bytesServed: (repo, file) => served.get(`${repo}:${file}`) ?? 0,
    bodyRequests: (repo, file) => bodyReqs.get(`${repo}:${file}`) ?? 0,
    resetStats: () => {
      served.clear();
      bodyReqs.clear();
    },
    reload: async () => {
      repos = await loadRepos(opts.root, lfsThreshold);
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([api, cdn].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
