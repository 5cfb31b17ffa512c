// Circuit breaker per provider: opens after N consecutive failures, allows one trial after a cool-down.
// Pure state with an injected clock, so routing explanations and tests can read it without side effects.

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses calls before one trial is allowed. */
  cooldownMs: number;
}

export interface BreakerView {
  state: BreakerState;
  consecutiveFailures: number;
  /** When an open circuit will allow its trial (ms epoch); null unless open. */
  retryAt: number | null;
}

interface Entry {
  state: BreakerState;
  failures: number;
  openedAt: number;
  trialInFlight: boolean;
}

export interface Breakers {
  /** Would a call be allowed now? Pure: does not claim the half-open trial. */
  peek(id: string, now: number): BreakerView & { allowed: boolean };
  /** Claim permission for one call; in half-open state only the first caller gets it. */
  acquire(id: string, now: number): boolean;
  success(id: string): void;
  failure(id: string, now: number): void;
  /** A claimed call that ended without a verdict (client left, bad request): free the trial slot. */
  release(id: string): void;
  view(id: string, now: number): BreakerView;
  reset(id: string): void;
}

export const DEFAULT_BREAKER: BreakerOptions = { failureThreshold: 3, cooldownMs: 30_000 };

export function createBreakers(opts: BreakerOptions = DEFAULT_BREAKER): Breakers {
  const entries = new Map<string, Entry>();
  const entry = (id: string): Entry => {
    let e = entries.get(id);
    if (!e) {
      e = { state: 'closed', failures: 0, openedAt: 0, trialInFlight: false };
      entries.set(id, e);
    }
    return e;
  };
  // An open circuit whose cool-down has passed reads as half-open.
  const stateAt = (e: Entry, now: number): BreakerState =>
    e.state === 'open' && now - e.openedAt >= opts.cooldownMs ? 'half_open' : e.state;
  const view = (id: string, now: number): BreakerView => {
    const e = entries.get(id);
    if (!e) return { state: 'closed', consecutiveFailures: 0, retryAt: null };
    const state = stateAt(e, now);
    return {
      state,
      consecutiveFailures: e.failures,
      retryAt: state === 'open' ? e.openedAt + opts.cooldownMs : null,
    };
  };

  return {
    view,
    peek(id, now) {
      const v = view(id, now);
      const e = entries.get(id);
      const allowed = v.state === 'closed' || (v.state === 'half_open' && !e?.trialInFlight);
      return { ...v, allowed };
    },
    acquire(id, now) {
      const e = entry(id);
      const state = stateAt(e, now);
      if (state === 'closed') return true;
      if (state === 'open' || e.trialInFlight) return false;
      e.state = 'half_open';
      e.trialInFlight = true;
      return true;
    },
    success(id) {
      const e = entry(id);
      e.state = 'closed';
      e.failures = 0;
      e.trialInFlight = false;
    },
    failure(id, now) {
      const e = entry(id);
      e.failures++;
      e.trialInFlight = false;
      if (e.state === 'half_open' || e.failures >= opts.failureThreshold) {
        e.state = 'open';
        e.openedAt = now;
      }
    },
    release(id) {
      const e = entries.get(id);
      if (e) e.trialInFlight = false;
    },
    reset(id) {
      entries.delete(id);
    },
  };
}
