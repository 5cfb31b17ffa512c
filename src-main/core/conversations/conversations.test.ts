// The playground's history handlers through the real validating dispatcher and a real SQLite file.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/index.ts';
import { createDispatcher, type Handlers } from '../rpc/index.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { profilesStore } from '../profiles/index.ts';
import { conversationHandlers, conversationsStore } from './index.ts';

describe('conversation handlers', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let db: Database;
  let call: (method: string, params: unknown) => Promise<unknown>;
  let clock = 1000;

  beforeEach(() => {
    tmp = makeTempDir();
    db = openDatabase(path.join(tmp.dir, 'orchard.db'));
    const profiles = profilesStore(db);
    const handlers = conversationHandlers(
      { store: conversationsStore(db), profileExists: (id) => profiles.get(id) !== undefined },
      () => ++clock,
    );
    // Only the conversation methods are under test; any other method would be a bug here.
    const d = createDispatcher(handlers as unknown as Handlers);
    call = async (method, params) => {
      const r = await d.call(method, params);
      if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
      return r.result;
    };
  });
  afterEach(() => {
    db.close();
    tmp.cleanup();
  });

  it('creates, lists newest first, renames and deletes', async () => {
    const a = (await call('conversations.create', {})) as { id: string; title: string };
    expect(a.title).toBe('Untitled chat');
    const b = (await call('conversations.create', { title: 'Second' })) as { id: string };
    expect(
      ((await call('conversations.list', {})) as Array<{ id: string }>).map((c) => c.id),
    ).toEqual([b.id, a.id]);
    const renamed = (await call('conversations.rename', { id: a.id, title: '  Counting  ' })) as {
      title: string;
    };
    expect(renamed.title).toBe('Counting');
    await call('conversations.delete', { id: b.id });
    expect(
      ((await call('conversations.list', {})) as Array<{ id: string }>).map((c) => c.id),
    ).toEqual([a.id]);
  });

  it('keeps messages with reasoning and figures, and truncates from a message on', async () => {
    const c = (await call('conversations.create', {})) as { id: string };
    const u1 = (await call('conversations.addMessage', {
      conversationId: c.id,
      role: 'user',
      content: 'count',
    })) as { id: number };
    const meta = {
      model: 'org/m',
      route: 'local:org/m',
      ttftMs: 12.5,
      tokensPerSecond: 40,
      tokens: 31,
      reasoningMs: 5,
    };
    await call('conversations.addMessage', {
      conversationId: c.id,
      role: 'assistant',
      content: 'The numbers',
      reasoning: 'Let me',
      meta,
    });
    const u2 = (await call('conversations.addMessage', {
      conversationId: c.id,
      role: 'user',
      content: 'again',
    })) as { id: number };
    await call('conversations.addMessage', {
      conversationId: c.id,
      role: 'assistant',
      content: 'x',
    });

    const all = (await call('conversations.messages', { id: c.id })) as Array<{
      id: number;
      role: string;
      reasoning: string | null;
      meta: unknown;
    }>;
    expect(all.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(all[1]).toMatchObject({ reasoning: 'Let me', meta });
    expect(all[0]!.meta).toBeNull();

    expect(
      await call('conversations.truncate', { conversationId: c.id, fromMessageId: u2.id }),
    ).toEqual({ deleted: 2 });
    expect(((await call('conversations.messages', { id: c.id })) as unknown[]).length).toBe(2);
    expect(u1.id).toBeLessThan(u2.id);
  });

  it('refuses bad input with a clear error and changes nothing', async () => {
    const c = (await call('conversations.create', {})) as { id: string };
    await expect(call('conversations.rename', { id: c.id, title: '   ' })).rejects.toMatchObject({
      code: 'validation',
    });
    await expect(
      call('conversations.addMessage', { conversationId: c.id, role: 'wizard', content: 'x' }),
    ).rejects.toMatchObject({ code: 'validation' });
    await expect(
      call('conversations.addMessage', { conversationId: 'missing', role: 'user', content: 'x' }),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      call('conversations.addMessage', {
        conversationId: c.id,
        role: 'assistant',
        content: 'x',
        meta: { bogus: 1 },
      }),
    ).rejects.toMatchObject({ code: 'validation' });
    await expect(call('conversations.delete', { id: 'missing' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(call('conversations.create', { profileId: 'missing' })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(await call('conversations.messages', { id: c.id })).toEqual([]);
    expect(((await call('conversations.list', {})) as unknown[]).length).toBe(1);
  });

  it('deleting a conversation deletes its messages', async () => {
    const c = (await call('conversations.create', {})) as { id: string };
    await call('conversations.addMessage', { conversationId: c.id, role: 'user', content: 'hi' });
    await call('conversations.delete', { id: c.id });
    expect(db.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 0 });
  });
});
