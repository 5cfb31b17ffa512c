// What one attempt at one backend came to, and which upstream statuses may fall back to the next
// backend (and count against a provider's circuit) rather than go back to the client as they are.
import type { GatewayError } from '../errors.ts';
import type { FrameSource } from '../translate/framer.ts';
import type { Usage } from '../translate/usage.ts';

export type Outcome =
  | {
      kind: 'failed';
      error: GatewayError;
      /** counts against the provider's circuit */ breaker: boolean;
    }
  | { kind: 'refused'; error: GatewayError } // the backend rejected the request itself: no fallback
  | { kind: 'json'; status: number; body: string; usage: Usage }
  | {
      kind: 'stream';
      frames: FrameSource;
      usage: () => Usage;
      errorFrame: (message: string) => string;
    };

function localFailure(status: number): boolean {
  // Cannot load / does not fit / not there / queue full / sidecar trouble: another backend may serve.
  return status === 404 || status === 408 || status === 409 || status === 429 || status >= 500;
}

function providerFailure(status: number): { fallback: boolean; breaker: boolean } {
  if (status === 408 || status === 429 || status >= 500) return { fallback: true, breaker: true };
  if (status === 401 || status === 403 || status === 404) return { fallback: true, breaker: false };
  return { fallback: false, breaker: false };
}

/** A backend's error answer: a failure that may fall back, or a refusal the client gets as it is. */
export function errorOutcome(
  backend: 'local' | 'provider',
  status: number,
  err: GatewayError,
): Outcome {
  if (backend === 'local')
    return localFailure(status)
      ? { kind: 'failed', breaker: false, error: err }
      : { kind: 'refused', error: err };
  const f = providerFailure(status);
  return f.fallback
    ? { kind: 'failed', breaker: f.breaker, error: err }
    : { kind: 'refused', error: err };
}
