// The one HTTP client of the core for Hub traffic: fetch for metadata (what @huggingface/hub calls) and a raw
// HTTP/1.1 body client for file bodies (bytes land in the caller's memory), both with Orchard's user agent and the
// Hub token read at the moment of each request, sent to the Hub's own origin only (never to the CDN it redirects to).
import { createBodyClient, type BodyReader } from './bodyClient.ts';

export interface HttpOptions {
  hubUrl: string;
  /** The token, or a reader called per request (so a stored token stays encrypted until it is used). */
  token?: string | null | (() => string | null);
  userAgent?: string;
  /** Metadata requests without their own signal are aborted after this long. */
  timeoutMs?: number;
}

/** A response whose body the caller reads into its own memory, or discards. */
export interface BodyResponse {
  status: number;
  /** URL after redirects. */
  url: string;
  header(name: string): string | null;
  /** Streams the body into `reader`; resolves at its end, rejects if the connection fails first. */
  read(reader: BodyReader): Promise<void>;
  /** Reading continues after the reader's onData returned false. */
  resume(): void;
  /** Gives up on the rest of the body. */
  discard(): void;
}

export type { BodyReader };

export interface Http {
  hubUrl: string;
  /** The token now (decrypted at this moment when stored encrypted); null when none is set. */
  token(): string | null;
  fetch: typeof fetch;
  /** GET with redirects followed (at most 5), for file bodies. */
  get(
    url: string,
    init?: { headers?: Record<string, string>; signal?: AbortSignal },
  ): Promise<BodyResponse>;
}

export const DEFAULT_HUB_URL = 'https://huggingface.co';
const MAX_REDIRECTS = 5;
const REDIRECT_BODY_MAX = 16 << 10;

export function createHttp(opts: HttpOptions): Http {
  const hubUrl = opts.hubUrl.replace(/\/+$/, '');
  const origin = new URL(hubUrl).origin;
  const tokenOpt = opts.token;
  const token = (): string | null =>
    (typeof tokenOpt === 'function' ? tokenOpt() : tokenOpt) || null;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const ua = opts.userAgent ?? 'orchard/0.1';
  // Keep-alive: the ranges of one file reuse their connections to the CDN.
  const bodies = createBodyClient();
  const scratch = Buffer.allocUnsafe(REDIRECT_BODY_MAX);

  const wrapped = (
    input: Parameters<typeof fetch>[0],
    init: RequestInit = {},
  ): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers = new Headers(init.headers);
    if (!headers.has('user-agent')) headers.set('user-agent', ua);
    // undici drops Authorization itself on a cross-origin redirect (the CDN), so only the first hop carries it.
    const t = token();
    if (t && !headers.has('authorization') && new URL(url).origin === origin) {
      headers.set('authorization', `Bearer ${t}`);
    }
    return fetch(input, {
      ...init,
      headers,
      signal: init.signal ?? AbortSignal.timeout(timeoutMs),
    });
  };

  async function get(
    url: string,
    init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<BodyResponse> {
    let current = new URL(url);
    for (let hop = 0; ; hop++) {
      if (current.protocol !== 'http:' && current.protocol !== 'https:')
        throw new TypeError(`unsupported protocol ${current.protocol}`);
      const headers: Record<string, string> = { 'user-agent': ua };
      for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;
      const t = token();
      if (t && current.origin === origin) headers.authorization = `Bearer ${t}`;
      const res = await bodies.request(current, headers, init.signal);
      const location = res.header('location');
      if ([301, 302, 303, 307, 308].includes(res.status) && location) {
        // A redirect's body ("Found. Redirecting to …") is read and dropped, so its connection serves the next
        // range; one that is large or of unknown length is not worth waiting for.
        const length = Number(res.header('content-length') ?? NaN);
        if (length <= REDIRECT_BODY_MAX) {
          await res.read({ buffer: () => scratch, onData: () => true }).catch(() => {});
        } else res.discard();
        if (hop >= MAX_REDIRECTS) throw new TypeError(`too many redirects for ${url}`);
        current = new URL(location, current);
        continue;
      }
      return {
        status: res.status,
        url: current.href,
        header: res.header,
        read: res.read,
        resume: res.resume,
        discard: res.discard,
      };
    }
  }

  return { hubUrl, token, fetch: wrapped as typeof fetch, get };
}

/** HF_ENDPOINT and HF_TOKEN as huggingface_hub reads them; a settings value wins over the environment. */
export function hubSettingsFromEnv(
  env: NodeJS.ProcessEnv,
  settings: { hubUrl?: unknown; hfToken?: () => string | null } = {},
): { hubUrl: string; token: () => string | null } {
  const hubUrl =
    typeof settings.hubUrl === 'string' && settings.hubUrl
      ? settings.hubUrl
      : env.HF_ENDPOINT || DEFAULT_HUB_URL;
  const fromEnv = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || null;
  return { hubUrl, token: () => settings.hfToken?.() || fromEnv };
}
