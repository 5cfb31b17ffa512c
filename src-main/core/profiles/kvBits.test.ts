// A profile's kv_bits: validated by the contract (4 or 8 only) and passed to the request unless the
// request names its own.
import { describe, expect, it } from 'vitest';
import { ProfileParams } from '#shared/contract/profiles.ts';
import { applyProfile } from './apply.ts';

describe('profile kv_bits', () => {
  it('accepts 4 and 8, refuses anything else', () => {
    expect(ProfileParams.parse({ kv_bits: 8 })).toEqual({ kv_bits: 8 });
    expect(ProfileParams.parse({ kv_bits: 4 })).toEqual({ kv_bits: 4 });
    for (const bad of [3, 16, '8', 0])
      expect(ProfileParams.safeParse({ kv_bits: bad }).success).toBe(false);
  });

  it('reaches the request; the request wins', () => {
    const profile = { model: 'm', params: { kv_bits: 8 as const } };
    const req = { model: 'p', messages: [{ role: 'user', content: 'hi' }] };
    expect(applyProfile(profile, req).kv_bits).toBe(8);
    expect(applyProfile(profile, { ...req, kv_bits: 4 }).kv_bits).toBe(4);
    expect(applyProfile({ model: 'm', params: {} }, req).kv_bits).toBeUndefined();
  });
});
