// Profile CRUD over real SQLite (one transaction each) and applyProfile's merge rules.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/index.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { applyProfile, loadOptions, profileService, type ProfileService } from './index.ts';
import { ProfileParams } from '#shared/contract/profiles.ts';

describe('profile service', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let db: Database;
  let svc: ProfileService;
  beforeEach(() => {
    tmp = makeTempDir();
    db = openDatabase(path.join(tmp.dir, 'o.db'));
    svc = profileService(db);
  });
  afterEach(() => {
    db.close();
    tmp.cleanup();
  });

  it('create, read, update, duplicate, delete; first profile is default', () => {
    const a = svc.create({
      name: 'Coder',
      model: 'org/a',
      params: { temperature: 0, stop: ['END'], keep_loaded: true },
    });
    expect(a).toMatchObject({
      name: 'Coder',
      model: 'org/a',
      isDefault: true,
      params: { temperature: 0 },
    });
    const b = svc.create({ name: 'Writer', model: 'org/b' });
    expect(b.isDefault).toBe(false);
    expect(svc.get(a.id).params.stop).toEqual(['END']);
    expect(svc.find('Writer')?.id).toBe(b.id);
    expect(svc.find(b.id)?.name).toBe('Writer');

    const u = svc.update(b.id, { params: { temperature: 1.1 } });
    expect(u).toMatchObject({ name: 'Writer', params: { temperature: 1.1 } });

    const c = svc.duplicate(a.id);
    expect(c).toMatchObject({
      name: 'Coder copy',
      model: 'org/a',
      isDefault: false,
      params: a.params,
    });
    expect(svc.duplicate(a.id).name).toBe('Coder copy 2');

    expect(svc.setDefault(b.id).isDefault).toBe(true);
    expect(svc.get(a.id).isDefault).toBe(false);
    svc.delete(b.id);
    // Deleting the default promotes another, so a default exists while any profile does.
    expect(svc.getDefault()).toBeDefined();
    expect(svc.list()).toHaveLength(3);
  });

  it('rejects bad input with a validation error naming the field, changing nothing', () => {
    svc.create({ name: 'One', model: 'm' });
    const before = JSON.stringify(svc.list());
    expect(() => svc.create({ name: 'Two', model: 'm', params: { temperature: 9 } })).toThrow(
      /params\.temperature/,
    );
    expect(() => svc.create({ name: '', model: 'm' })).toThrow(
      expect.objectContaining({ code: 'validation' }),
    );
    expect(() => svc.create({ name: 'X', model: 'm', params: { bogus: 1 } })).toThrow(
      /validation|Unrecognized/i,
    );
    expect(() => svc.create({ name: 'One', model: 'm' })).toThrow(
      expect.objectContaining({ code: 'conflict' }),
    );
    expect(() => svc.update('missing', { name: 'Z' })).toThrow(
      expect.objectContaining({ code: 'not_found' }),
    );
    expect(JSON.stringify(svc.list())).toBe(before);
  });

  it('a failing update leaves the row untouched (one transaction)', () => {
    const a = svc.create({ name: 'A', model: 'm' });
    svc.create({ name: 'B', model: 'm' });
    expect(() => svc.update(a.id, { name: 'B', model: 'changed' })).toThrow(/already exists/);
    expect(svc.get(a.id)).toMatchObject({ name: 'A', model: 'm' });
  });
});

describe('applyProfile', () => {
  const profile = {
    model: 'org/real-model',
    params: {
      system_prompt: 'You are terse.',
      temperature: 0.3,
      top_k: 20,
      max_tokens: 256,
      stop: ['END', '###'],
      thinking: false,
      seed: 7,
    },
  };

  it('fills in profile values and replaces the model name', () => {
    const out = applyProfile(profile, {
      model: 'Coder',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(out).toEqual({
      model: 'org/real-model',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'hi' },
      ],
      temperature: 0.3,
      top_k: 20,
      seed: 7,
      max_tokens: 256,
      stop: ['END', '###'],
      chat_template_kwargs: { enable_thinking: false },
    });
  });

  it('request values win, including zero; stops merge as an ordered union', () => {
    const out = applyProfile(profile, {
      model: 'Coder',
      messages: [
        { role: 'system', content: 'mine' },
        { role: 'user', content: 'x' },
      ],
      temperature: 0,
      max_completion_tokens: 5,
      stop: ['###', 'STOP'],
      chat_template_kwargs: { enable_thinking: true },
    });
    expect(out.temperature).toBe(0);
    expect(out.max_tokens).toBeUndefined();
    expect(out.stop).toEqual(['END', '###', 'STOP']);
    expect(out.messages).toEqual([
      { role: 'system', content: 'mine' },
      { role: 'user', content: 'x' },
    ]);
    expect(out.chat_template_kwargs).toEqual({ enable_thinking: true });
  });

  it('accepts a single string stop and leaves the input untouched', () => {
    const req = { model: 'Coder', messages: [{ role: 'developer', content: 'd' }], stop: 'END' };
    const copy = structuredClone(req);
    const out = applyProfile(profile, req);
    expect(out.stop).toEqual(['END', '###']);
    expect(out.messages).toEqual(req.messages);
    expect(req).toEqual(copy);
  });

  it('context_overflow reaches the request (refuse stays the default: nothing is added)', () => {
    const dropping = { model: 'm', params: { context_overflow: 'drop_oldest' as const } };
    const req = { model: 'p', messages: [{ role: 'user', content: 'x' }] };
    expect(applyProfile(dropping, req).context_overflow).toBe('drop_oldest');
    expect(applyProfile({ model: 'm', params: {} }, req).context_overflow).toBeUndefined();
    expect(applyProfile(dropping, { ...req, context_overflow: 'refuse' }).context_overflow).toBe(
      'refuse',
    );
  });

  it('speculative reaches the request as the profile says; the request value wins', () => {
    const lookup = { model: 'm', params: { speculative: { method: 'prompt_lookup' as const } } };
    const req = { model: 'p', messages: [{ role: 'user', content: 'x' }] };
    expect(applyProfile(lookup, req).speculative).toEqual({ method: 'prompt_lookup' });
    expect(applyProfile(lookup, { ...req, speculative: 'none' }).speculative).toBe('none');
    expect(applyProfile({ model: 'm', params: {} }, req).speculative).toBeUndefined();
    expect(ProfileParams.safeParse({ speculative: { draft_model: 'org/draft' } }).success).toBe(
      true,
    );
    expect(ProfileParams.safeParse({ speculative: 'none' }).success).toBe(true);
    expect(ProfileParams.safeParse({ speculative: { method: 'fast' } }).success).toBe(false);
    expect(ProfileParams.safeParse({ speculative: { draft_model: '' } }).success).toBe(false);
  });

  it('loadOptions maps keep-loaded, idle TTL and context length', () => {
    expect(
      loadOptions({
        model: 'm',
        params: { keep_loaded: true, idle_ttl_seconds: 60, context_length: 4096 },
      }),
    ).toEqual({
      model: 'm',
      pin: true,
      ttl_seconds: 60,
      context_length: 4096,
    });
    expect(loadOptions({ model: 'm', params: {} })).toEqual({ model: 'm', pin: false });
  });

  it('loadOptions loads a profile’s draft model with its model, and only a draft model', () => {
    const draft = { speculative: { draft_model: 'org/small' } };
    expect(loadOptions({ model: 'm', params: draft })).toEqual({
      model: 'm',
      pin: false,
      draft_model: 'org/small',
    });
    for (const speculative of ['none', { method: 'prompt_lookup' }] as const)
      expect(loadOptions({ model: 'm', params: { speculative } })).toEqual({
        model: 'm',
        pin: false,
      });
  });
});
