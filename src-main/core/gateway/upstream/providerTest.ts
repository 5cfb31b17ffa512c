// "Test provider": one cheap authenticated call (list models) that says whether the base URL and key work.
// The key is decrypted for this call only and never appears in the result or the logs.
import { performance } from 'node:perf_hooks';
import { CoreError } from '../../errors/index.ts';
import { GatewayError, upstreamError } from '../errors.ts';
import type { ProvidersStore } from '../store/providers.ts';
import { providerFetch } from './providerFetch.ts';
import { addProviderHeaders, providerUrl } from './providerRequest.ts';

export interface ProviderTestResult {
  ok: boolean;
  status: number | null;
  latencyMs: number;
  /** Model ids the provider reports, when it lists them. */
  models: string[];
  error: string | null;
}

export async function testProvider(
  repos: { providers: Pick<ProvidersStore, 'get' | 'apiKey'> },
  id: string,
  timeoutMs = 10_000,
): Promise<ProviderTestResult> {
  const p = repos.providers.get(id);
  if (!p) throw new CoreError('not_found', `no provider with id '${id}'`);
  const key = repos.providers.apiKey(id);
  const headers: Record<string, string> = {};
  // Anthropic pages its list (20 by default); one page of its maximum holds every model it has.
  const url = providerUrl(p, '/models') + (p.format === 'anthropic' ? '?limit=1000' : '');
  addProviderHeaders(headers, p.format, key, {}, 'none');
  const t0 = performance.now();
  try {
    const res = await providerFetch(p.name, url, {
      headers,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const latencyMs = Math.round(performance.now() - t0);
    if (!res.ok)
      return {
        ok: false,
        status: res.status,
        latencyMs,
        models: [],
        error: upstreamError(res.status, text).message,
      };
    let models: string[] = [];
    try {
      const body = JSON.parse(text) as { data?: Array<{ id?: unknown }> };
      models = (body.data ?? []).map((m) => m.id).filter((x): x is string => typeof x === 'string');
    } catch {
      return {
        ok: false,
        status: res.status,
        latencyMs,
        models: [],
        error: 'the provider answered with something that is not JSON',
      };
    }
    return { ok: true, status: res.status, latencyMs, models, error: null };
  } catch (e) {
    return {
      ok: false,
      status: null,
      latencyMs: Math.round(performance.now() - t0),
      models: [],
      error:
        e instanceof GatewayError ? e.message : `could not reach ${url}: ${(e as Error).message}`,
    };
  }
}
