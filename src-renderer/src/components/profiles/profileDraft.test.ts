// The profile form's speculative-decoding and KV cache fields: to the draft and back, errors, hints.
import { describe, expect, it } from 'vitest';
import type { Speculative } from '#shared/contract/profiles.ts';
import { fromDraft, kvBitsHint, kvShare, toDraft } from './profileDraft.ts';

const profile = (speculative?: Speculative) => ({
  name: 'P',
  model: 'org/m',
  params: speculative === undefined ? {} : { speculative },
});

describe('profile draft: speculative', () => {
  it('round-trips each value, and the default adds nothing', () => {
    const values: Speculative[] = [
      'none',
      { method: 'prompt_lookup' },
      { draft_model: 'org/draft' },
    ];
    for (const value of values) {
      const back = fromDraft(toDraft(profile(value)));
      expect(back).toEqual({ ok: true, value: profile(value) });
    }
    const plain = fromDraft(toDraft(profile()));
    expect(plain.ok && plain.value.params).toEqual({});
  });

  it('a draft model without a name is an error on the field', () => {
    const d = { ...toDraft(profile()), speculative: 'draft_model' as const, draft_model: '  ' };
    expect(fromDraft(d)).toEqual({
      ok: false,
      errors: { speculative: 'Name the draft model (a repo id).' },
    });
  });
});

describe('profile draft: kv_bits', () => {
  it('round-trips off, 8 and 4 bits (a profile saved from the form keeps its kv_bits)', () => {
    for (const kv_bits of [8, 4] as const) {
      const p = { name: 'P', model: 'org/m', params: { kv_bits } };
      expect(toDraft(p).kv_bits).toBe(String(kv_bits));
      expect(fromDraft(toDraft(p))).toEqual({ ok: true, value: p });
    }
    const off = fromDraft({ ...toDraft(profile()), kv_bits: 'off' });
    expect(off.ok && off.value.params).toEqual({});
  });

  it('says what each choice saves, by the fit estimate’s own arithmetic', () => {
    expect(kvShare(8)).toBeCloseTo(0.53125);
    expect(kvShare(4)).toBeCloseTo(0.28125);
    expect(kvBitsHint('8')).toMatch(/^About 53% .*\(47% saved\)/);
    expect(kvBitsHint('4')).toMatch(/^About 28% .*\(72% saved\)/);
    expect(kvBitsHint('off')).toMatch(/own precision/);
  });
});
