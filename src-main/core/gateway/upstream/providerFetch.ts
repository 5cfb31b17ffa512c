// The one HTTP client for calls to a provider: fetch with redirects followed by hand, and only within the
// provider's own origin, so its key (x-api-key survives fetch's own redirects) and the prompt stay there.
import { GatewayError } from '../errors.ts';

/** Same-origin hops allowed before a provider's redirects count as a loop. */
export const MAX_PROVIDER_REDIRECTS = 5;

/**
 * fetch() toward provider `providerName`. A same-origin redirect is followed (307/308 keep the method and
 * body; 301/302/303 turn a POST into a bodiless GET, as fetch does); a redirect to another origin, or too
 * many hops, throws a 502 GatewayError and sends nothing further. Network failures throw as fetch does.
 */
export async function providerFetch(
  providerName: string,
  url: string,
  init: RequestInit = {},
): Promise<Response> {
  let current = new URL(url);
  const origin = current.origin;
  let method = (init.method ?? 'GET').toUpperCase();
  let body = init.body;
  for (let hop = 0; ; hop++) {
    const res = await fetch(current, { ...init, method, body, redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status < 300 || res.status > 399 || location === null) return res;
    await res.body?.cancel().catch(() => undefined);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw redirected('upstream_redirect', providerName, 'to an address that is not a URL');
    }
    if (next.origin !== origin)
      throw redirected(
        'upstream_redirect',
        providerName,
        `to another origin (${next.origin}); Orchard follows a provider's redirects only within ${origin}, ` +
          'so nothing was sent there. Correct the provider base URL',
      );
    if (hop >= MAX_PROVIDER_REDIRECTS)
      throw redirected('upstream_redirect_loop', providerName, 'too many times');
    if (res.status !== 307 && res.status !== 308 && method !== 'GET' && method !== 'HEAD') {
      method = 'GET';
      body = undefined;
    }
    current = next;
  }
}

function redirected(code: string, providerName: string, where: string): GatewayError {
  return new GatewayError(502, code, `provider '${providerName}' redirected ${where}`);
}
