// Where and how a request to a provider goes: the URL for an endpoint in the provider's format (and the
// translation that needs), and the version and key headers. The key is passed in for this call only.
import type { Protocol } from '../errors.ts';
import type { Translation } from '../translate/streamFrames.ts';
import type { Endpoint } from './endpoints.ts';

function anthropicBase(url: string): string {
  return /\/v1$/.test(url) ? url : `${url}/v1`;
}

/** The provider's base URL (with /v1 for Anthropic's format) followed by `path`. */
export function providerUrl(provider: { format: Protocol; baseUrl: string }, path: string): string {
  const base = provider.format === 'anthropic' ? anthropicBase(provider.baseUrl) : provider.baseUrl;
  return base + path;
}

/** Per backend format, the path an endpoint maps to, or null when that backend cannot serve it. */
export function providerPath(
  format: Protocol,
  endpoint: Endpoint,
): { path: string; translation: Translation } | null {
  if (format === 'openai') {
    if (endpoint === 'chat') return { path: '/chat/completions', translation: 'none' };
    if (endpoint === 'completions') return { path: '/completions', translation: 'none' };
    if (endpoint === 'embeddings') return { path: '/embeddings', translation: 'none' };
    if (endpoint === 'messages')
      return { path: '/chat/completions', translation: 'anthropic->openai' };
    return null;
  }
  if (endpoint === 'messages') return { path: '/messages', translation: 'none' };
  if (endpoint === 'count_tokens') return { path: '/messages/count_tokens', translation: 'none' };
  if (endpoint === 'chat') return { path: '/messages', translation: 'openai->anthropic' };
  return null;
}

/** Adds the provider's version and authentication headers to `headers`. */
export function addProviderHeaders(
  headers: Record<string, string>,
  format: Protocol,
  key: string | null,
  clientHeaders: Record<string, string | undefined>,
  translation: Translation,
): void {
  if (format === 'anthropic') {
    headers['anthropic-version'] = clientHeaders['anthropic-version'] ?? '2023-06-01';
    if (clientHeaders['anthropic-beta'] && translation === 'none')
      headers['anthropic-beta'] = clientHeaders['anthropic-beta'];
    if (key) headers['x-api-key'] = key;
  } else if (key) {
    headers.authorization = `Bearer ${key}`;
  }
}
