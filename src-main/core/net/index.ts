// Request checks shared by every server in core: loopback Host names (against DNS rebinding),
// same-origin Origin headers (against cross-site pages), and constant-time secret comparison.
import crypto from 'node:crypto';

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Host header name without port, for the DNS-rebinding check. */
export function hostName(header: string | undefined): string {
  if (!header) return '';
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  return header.split(':')[0] ?? '';
}

/**
 * A browser names the page that opened a connection in Origin; it must be the server's own address.
 * No Origin at all means a non-browser client (the CLI, an SDK), which a web page cannot pose as.
 */
export function originAllowed(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' && host !== undefined && u.host === host.toLowerCase();
  } catch {
    return false;
  }
}

export function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
