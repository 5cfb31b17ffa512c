// The /v1 API's gate before any routing: the Host check against DNS rebinding, the CORS allow-list and
// preflight, API-key authentication, and the refusal to serve beyond loopback without any key.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewaySettings } from '#shared/contract/gatewaySettings.ts';
import { CoreError } from '../../errors/index.ts';
import { GatewayError } from '../errors.ts';
import type { ApiKeys } from '../store/apiKeys.ts';
import { hostName, isLoopbackHost } from '../../net/index.ts';
import type { AuditRecord } from '../store/auditLog.ts';

export function bearer(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1]!.trim();
  }
  const x = req.headers['x-api-key'];
  return typeof x === 'string' && x.trim() !== '' ? x.trim() : null;
}

/** A LAN binding with no active key is refused before the server listens. */
export function assertExposureAllowed(host: string, activeKeys: number): void {
  if (!isLoopbackHost(host) && activeKeys === 0) {
    throw new CoreError(
      'usage',
      `refusing to serve the API on ${host} without an API key: anyone on the network could use it. ` +
        'Create one first with `orchard keys create <name>`, or bind to 127.0.0.1.',
    );
  }
}

export interface GuardOptions {
  /** The server listens on loopback only: foreign Host names are refused and keys are optional. */
  loopbackBind: boolean;
  keys: ApiKeys;
  /** Tokens Orchard itself hands out (the web UI's per-launch token); accepted like an API key. */
  isInternalToken?: (token: string) => boolean;
  /** Called whenever a stored CORS `*` is ignored because keys are optional (the gateway logs it once). */
  onIgnoredWildcard?: () => void;
}

/**
 * Throws the GatewayError for a request that may not pass; answers a CORS preflight itself. Returns true
 * when the request has been answered. Sets the CORS reply headers and the audit row's key id on the way.
 */
export function guard(
  req: IncomingMessage,
  res: ServerResponse,
  settings: GatewaySettings,
  row: AuditRecord,
  baseHeaders: Record<string, string>,
  opts: GuardOptions,
): boolean {
  // DNS rebinding: a page on evil.example resolving to 127.0.0.1 arrives with its own Host name.
  if (opts.loopbackBind && !isLoopbackHost(hostName(req.headers.host))) {
    throw new GatewayError(
      403,
      'host_not_allowed',
      `Host '${req.headers.host ?? ''}' is not allowed on a loopback-bound server`,
    );
  }
  const keyRequired = settings['gateway.requireApiKey'] || !opts.loopbackBind;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const allowed = settings['gateway.corsOrigins'];
    // `*` lets any web page call the API, so only while every caller needs a key: otherwise any site
    // the user visits could use the local models (and the providers' keys) without one.
    const anyOrigin = allowed.includes('*');
    if (anyOrigin && !keyRequired) opts.onIgnoredWildcard?.();
    const sameOrigin = origin === `http://${req.headers.host ?? ''}`;
    if (anyOrigin && keyRequired && !sameOrigin) {
      baseHeaders['access-control-allow-origin'] = '*';
    } else if (sameOrigin || allowed.includes(origin)) {
      baseHeaders['access-control-allow-origin'] = origin;
      baseHeaders.vary = 'Origin';
    } else {
      throw new GatewayError(
        403,
        'cors_origin_refused',
        `Origin '${origin}' is not on the gateway's CORS allow-list`,
      );
    }
    baseHeaders['access-control-expose-headers'] =
      'x-request-id, x-orchard-route, x-orchard-fallback';
  }
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      ...baseHeaders,
      'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
      'access-control-allow-headers':
        'authorization, content-type, x-api-key, anthropic-version, anthropic-beta',
      'access-control-max-age': '600',
    });
    res.end();
    row.status = 204;
    return true;
  }

  const token = bearer(req);
  if (token !== null) {
    if (opts.isInternalToken?.(token)) row.apiKeyId = 'internal';
    else row.apiKeyId = opts.keys.verify(token);
  }
  if (keyRequired && row.apiKeyId === null) {
    throw new GatewayError(
      401,
      'invalid_api_key',
      token === null
        ? 'An API key is required (Authorization: Bearer <key> or x-api-key).'
        : 'The API key is not valid.',
    );
  }
  return false;
}
