// Circuit breaker transitions on an injected clock: open after N, one trial after cool-down, recovery.
import { describe, expect, it } from 'vitest';
import { createBreakers } from './breaker.ts';

describe('circuit breaker', () => {
  const opts = { failureThreshold: 3, cooldownMs: 1000 };

  it('stays closed below the threshold and a success resets the count', () => {
    const b = createBreakers(opts);
    b.failure('p', 0);
    b.failure('p', 0);
    expect(b.view('p', 0)).toEqual({ state: 'closed', consecutiveFailures: 2, retryAt: null });
    b.success('p');
    b.failure('p', 0);
    b.failure('p', 0);
    expect(b.acquire('p', 0)).toBe(true);
  });

  it('opens after N consecutive failures and refuses until the cool-down has passed', () => {
    const b = createBreakers(opts);
    for (let i = 0; i < 3; i++) b.failure('p', 100);
    expect(b.view('p', 100)).toEqual({ state: 'open', consecutiveFailures: 3, retryAt: 1100 });
    expect(b.acquire('p', 1099)).toBe(false);
    expect(b.peek('p', 1099).allowed).toBe(false);
    // Other providers are independent.
    expect(b.acquire('q', 1099)).toBe(true);
  });

  it('allows exactly one trial when half-open; success closes it', () => {
    const b = createBreakers(opts);
    for (let i = 0; i < 3; i++) b.failure('p', 0);
    expect(b.peek('p', 1000)).toMatchObject({ state: 'half_open', allowed: true });
    expect(b.acquire('p', 1000)).toBe(true);
    expect(b.acquire('p', 1000)).toBe(false); // the trial is taken
    expect(b.peek('p', 1000).allowed).toBe(false);
    b.success('p');
    expect(b.view('p', 1001).state).toBe('closed');
    expect(b.acquire('p', 1001)).toBe(true);
  });

  it('a failed trial re-opens the circuit for another full cool-down', () => {
    const b = createBreakers(opts);
    for (let i = 0; i < 3; i++) b.failure('p', 0);
    expect(b.acquire('p', 1500)).toBe(true);
    b.failure('p', 1500);
    expect(b.view('p', 1500)).toMatchObject({ state: 'open', retryAt: 2500 });
    expect(b.acquire('p', 2499)).toBe(false);
    expect(b.acquire('p', 2500)).toBe(true);
  });

  it('a released trial (no verdict) lets the next caller try', () => {
    const b = createBreakers(opts);
    for (let i = 0; i < 3; i++) b.failure('p', 0);
    expect(b.acquire('p', 1000)).toBe(true);
    b.release('p');
    expect(b.acquire('p', 1000)).toBe(true);
  });
});
