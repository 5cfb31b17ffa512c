// The profile form's speculative-decoding field: to the draft and back, and a draft model without a name.
import { describe, expect, it } from 'vitest';
import type { Speculative } from '#shared/contract/profiles.ts';
import { fromDraft, toDraft } from './profileDraft.ts';

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
