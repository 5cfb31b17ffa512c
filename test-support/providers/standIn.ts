// Test support: a local stand-in for a cloud provider's model listing, speaking the real wire protocol of the
// Anthropic Models API (x-api-key, anthropic-version, limit/after_id paging with has_more) or OpenAI's /v1/models.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProviderStandIn {
  /** Base URL as a preset would have it, e.g. http://127.0.0.1:PORT/v1. */
  url: string;
  /** Every request's method, path with query, and whether it carried the right key. */
  seen: Array<{ method: string; url: string; keyOk: boolean }>;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const anthropicError = (type: string, message: string) => ({
  type: 'error',
  error: { type, message },
});

function anthropicModels(url: URL, models: readonly string[], res: http.ServerResponse): void {
  const raw = url.searchParams.get('limit');
  const limit = raw === null ? 20 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    send(res, 400, anthropicError('invalid_request_error', 'limit: must be between 1 and 1000'));
    return;
  }
  const after = url.searchParams.get('after_id');
  const start = after === null ? 0 : models.indexOf(after) + 1;
  const page = models.slice(start, start + limit);
  send(res, 200, {
    data: page.map((id, i) => ({
      type: 'model',
      id,
      display_name: id.replace(/-/g, ' '),
      created_at: new Date(Date.UTC(2025, 0, 1 + i)).toISOString(),
    })),
    has_more: start + limit < models.length,
    first_id: page[0] ?? null,
    last_id: page.at(-1) ?? null,
  });
}

export async function startProviderStandIn(opts: {
  format: 'anthropic' | 'openai';
  apiKey: string;
  models: readonly string[];
}): Promise<ProviderStandIn> {
  const seen: ProviderStandIn['seen'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const keyOk =
      opts.format === 'anthropic'
        ? req.headers['x-api-key'] === opts.apiKey
        : req.headers.authorization === `Bearer ${opts.apiKey}`;
    seen.push({ method: req.method ?? '', url: req.url ?? '', keyOk });
    if (req.method !== 'GET' || url.pathname !== '/v1/models') {
      send(
        res,
        404,
        opts.format === 'anthropic'
          ? anthropicError('not_found_error', 'Not found')
          : { error: { message: 'Not found', type: 'invalid_request_error', code: null } },
      );
      return;
    }
    if (opts.format === 'anthropic') {
      if (!req.headers['anthropic-version']) {
        send(
          res,
          400,
          anthropicError('invalid_request_error', 'anthropic-version: header is required'),
        );
        return;
      }
      if (!keyOk) {
        send(res, 401, anthropicError('authentication_error', 'invalid x-api-key'));
        return;
      }
      anthropicModels(url, opts.models, res);
      return;
    }
    if (!keyOk) {
      send(res, 401, {
        error: {
          message: 'Incorrect API key provided.',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      });
      return;
    }
    send(res, 200, {
      object: 'list',
      data: opts.models.map((id) => ({
        id,
        object: 'model',
        created: 1_735_689_600,
        owned_by: 'system',
      })),
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    seen,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
