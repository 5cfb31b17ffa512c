// ChatState against an in-memory conversation store and a stand-in gateway (fetch answered with an SSE
// stream the test writes): history, the request as sent, the draft while it streams, stop, failures,
// regenerate and edit-and-resend, and the settings and selection kept in localStorage.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/index.ts';
import { appWith, FakeCore, memoryStorage, settle } from '../../../test/fakeCore.ts';
import { conversation, localModel, message, profile } from '../../../test/fixtures.ts';
import { ChatState } from './chat.svelte.ts';

type Conversation = ReturnType<typeof conversation>;
type Message = ReturnType<typeof message>;

/** One answer from the gateway: an SSE body the test writes to, or an HTTP error. */
interface Answer {
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  signal: AbortSignal;
  send(chunk: object): void;
  end(): void;
}

function fakeGateway(opts: { route?: string; status?: number; error?: string } = {}) {
  const answers: Answer[] = [];
  const enc = new TextEncoder();
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    if (opts.status)
      return new Response(JSON.stringify({ error: { message: opts.error ?? 'failed' } }), {
        status: opts.status,
      });
    let ctrl!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (ctrl = c) });
    const signal = init.signal!;
    // As fetch does: aborting the request errors the body being read.
    signal.addEventListener('abort', () => {
      try {
        ctrl.error(new DOMException('The operation was aborted.', 'AbortError'));
      } catch {
        // Already closed.
      }
    });
    answers.push({
      url,
      headers: init.headers as Record<string, string>,
      body: JSON.parse(String(init.body)) as Record<string, unknown>,
      signal,
      send: (chunk) => ctrl.enqueue(enc.encode(`data: ${JSON.stringify(chunk)}\n\n`)),
      end: () => {
        ctrl.enqueue(enc.encode('data: [DONE]\n\n'));
        ctrl.close();
      },
    });
    return new Response(body, {
      status: 200,
      headers: { 'content-type': 'text/event-stream', 'x-orchard-route': opts.route ?? 'local' },
    });
  });
  return { fetch, answers };
}

const delta = (d: { content?: string; reasoning_content?: string }, finish?: string) => ({
  choices: [{ delta: d, finish_reason: finish ?? null }],
});

/** Core's conversation store, in memory. */
function conversationCore(seed: Conversation[] = [], msgs: Message[] = []) {
  let convs = [...seed];
  let messages = [...msgs];
  let nextConv = seed.length + 1;
  let nextMsg = msgs.length + 1;
  const core = new FakeCore()
    .answer('conversations.list', () => [...convs])
    .answer('conversations.messages', ({ id }) => messages.filter((m) => m.conversationId === id))
    .answer('conversations.create', () => {
      const c = conversation(`c${nextConv++}`);
      convs = [c, ...convs];
      return c;
    })
    .answer('conversations.rename', ({ id, title }) => {
      convs = convs.map((c) => (c.id === id ? { ...c, title } : c));
      return convs.find((c) => c.id === id)!;
    })
    .answer('conversations.delete', ({ id }) => {
      convs = convs.filter((c) => c.id !== id);
      messages = messages.filter((m) => m.conversationId !== id);
      return { ok: true };
    })
    .answer('conversations.addMessage', ({ conversationId, role, content, reasoning, meta }) => {
      const m = message(nextMsg++, conversationId, {
        role,
        content,
        reasoning: reasoning ?? null,
        meta: meta ?? null,
      });
      messages.push(m);
      return m;
    })
    .answer('conversations.truncate', ({ conversationId, fromMessageId }) => {
      const before = messages.length;
      messages = messages.filter(
        (m) => m.conversationId !== conversationId || m.id < fromMessageId,
      );
      return { deleted: before - messages.length };
    })
    .answer('models.list', () => [localModel('org/m')])
    .answer('models.load', ({ model }) => localModel(model, { loaded: true }))
    .answer('profiles.list', () => [profile('p1', { name: 'Precise', model: 'org/p' })]);
  return { core, stored: () => messages, conversations: () => convs };
}

describe('ChatState', () => {
  let storage: Storage;

  beforeEach(() => {
    storage = memoryStorage();
    vi.stubGlobal('localStorage', storage);
  });
  afterEach(() => vi.unstubAllGlobals());

  async function ready(seed: Conversation[] = [], msgs: Message[] = []) {
    const store = conversationCore(seed, msgs);
    const app = appWith(store.core);
    await app.refreshProfiles();
    const chat = new ChatState(app);
    await chat.init();
    return { ...store, app, chat };
  }

  describe('history', () => {
    it('lists conversations and opens the newest', async () => {
      const { chat } = await ready(
        [conversation('c2', { title: 'Newest' }), conversation('c1')],
        [message(1, 'c1'), message(2, 'c2'), message(3, 'c2')],
      );
      expect(chat.currentId).toBe('c2');
      expect(chat.current?.title).toBe('Newest');
      expect(chat.messages.map((m) => m.id)).toEqual([2, 3]);
    });

    it('opens nothing when there is no conversation yet', async () => {
      const { chat } = await ready();
      expect(chat.currentId).toBeNull();
      expect(chat.current).toBeNull();
    });

    it('creates a conversation first in the list and opens it empty', async () => {
      const { chat } = await ready([conversation('c1')], [message(1, 'c1')]);
      const c = await chat.create();
      expect(chat.conversations.map((x) => x.id)).toEqual([c!.id, 'c1']);
      expect(chat.currentId).toBe(c!.id);
      expect(chat.messages).toEqual([]);
    });

    it('renames in place', async () => {
      const { chat } = await ready([conversation('c1'), conversation('c2')]);
      await chat.rename('c2', 'Apples');
      expect(chat.conversations.map((c) => c.title)).toEqual(['Untitled chat', 'Apples']);
    });

    it('opens the next conversation after deleting the open one', async () => {
      const { chat } = await ready([conversation('c1'), conversation('c2')], [message(1, 'c2')]);
      await chat.remove('c1');
      expect(chat.currentId).toBe('c2');
      expect(chat.messages.map((m) => m.id)).toEqual([1]);
      await chat.remove('c2');
      expect(chat.currentId).toBeNull();
      expect(chat.messages).toEqual([]);
    });

    it('reports a failing history store and clears it once the store answers', async () => {
      const { core, chat } = await ready([conversation('c1')]);
      core.fail('conversations.rename', 'database is locked');
      await chat.rename('c1', 'x');
      expect(chat.storeError).toBe('database is locked');
      expect(chat.conversations[0]?.title).toBe('Untitled chat');
      await chat.open('c1');
      expect(chat.storeError).toBeNull();
    });
  });

  describe('settings and selection', () => {
    it('starts from what this machine remembered, or the defaults', async () => {
      storage.setItem('orchard.chat.settings', JSON.stringify({ temperature: 0.2 }));
      storage.setItem('orchard.chat.selection', JSON.stringify({ kind: 'model', id: 'org/m' }));
      const { chat } = await ready();
      expect(chat.settings).toMatchObject({ systemPrompt: '', temperature: 0.2, seed: null });
      expect(chat.selection).toEqual({ kind: 'model', id: 'org/m' });

      storage.setItem('orchard.chat.settings', '{not json');
      const fresh = new ChatState(chat.app);
      expect(fresh.settings.temperature).toBeNull();
    });

    it('remembers the settings when told to', async () => {
      const { chat } = await ready();
      chat.settings.top_k = 40;
      chat.saveSettings();
      expect(JSON.parse(storage.getItem('orchard.chat.settings')!)).toMatchObject({ top_k: 40 });
    });

    it('names a model by repo id and a profile by its name', async () => {
      const { chat } = await ready();
      expect(chat.modelName()).toBeNull();
      chat.selection = { kind: 'model', id: 'org/m' };
      expect(chat.modelName()).toBe('org/m');
      chat.selection = { kind: 'profile', id: 'p1' };
      expect(chat.modelName()).toBe('Precise');
      chat.selection = { kind: 'profile', id: 'gone' };
      expect(chat.modelName()).toBeNull();
    });

    it('remembers a selection and loads its model', async () => {
      const { core, app, chat } = await ready();
      await app.refreshModels();
      await chat.select({ kind: 'model', id: 'org/m' });
      expect(JSON.parse(storage.getItem('orchard.chat.selection')!)).toEqual({
        kind: 'model',
        id: 'org/m',
      });
      expect(core.inputs('models.load')).toEqual([{ model: 'org/m' }]);
      // A profile's model is not a local one here: the gateway routes it, nothing is loaded.
      await chat.select({ kind: 'profile', id: 'p1' });
      expect(core.inputs('models.load')).toHaveLength(1);
    });
  });

  describe('an answer', () => {
    let gw: ReturnType<typeof fakeGateway>;

    beforeEach(() => {
      gw = fakeGateway({ route: 'local:org/m' });
      vi.stubGlobal('fetch', gw.fetch);
    });

    it('streams into the draft and is stored with its figures', async () => {
      const { chat, conversations, stored } = await ready();
      chat.selection = { kind: 'model', id: 'org/m' };
      const sent = chat.send('  What is   the capital of France?  ');
      await settle();
      // A first message titles its new conversation.
      expect(conversations()[0]?.title).toBe('What is the capital of France?');
      expect(chat.busy).toBe(true);
      const a = gw.answers[0]!;
      expect(a.url).toBe('http://127.0.0.1:8765/v1/chat/completions');
      expect(a.headers.authorization).toBe('Bearer launch-token');
      expect(a.body).toMatchObject({
        model: 'org/m',
        stream: true,
        messages: [{ role: 'user', content: 'What is   the capital of France?' }],
      });

      a.send(delta({ reasoning_content: 'Think.' }));
      a.send(delta({ content: 'Par' }));
      await settle();
      expect(chat.draft).toMatchObject({
        reasoning: 'Think.',
        content: 'Par',
        route: 'local:org/m',
      });
      a.send(delta({ content: 'is.' }, 'stop'));
      a.send({ choices: [], usage: { completion_tokens: 3, prompt_tokens: 9 } });
      a.end();
      await sent;

      expect(chat.busy).toBe(false);
      expect(chat.draft).toBeNull();
      expect(chat.error).toBeNull();
      const answer = stored().at(-1)!;
      expect(answer).toMatchObject({ role: 'assistant', content: 'Paris.', reasoning: 'Think.' });
      expect(answer.meta).toMatchObject({
        model: 'org/m',
        route: 'local:org/m',
        finishReason: 'stop',
        tokens: 3,
      });
      expect(answer.meta?.stopped).toBeUndefined();
      expect(chat.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    });

    it('sends the system prompt, the history and only the parameters that are set', async () => {
      const { chat } = await ready(
        [conversation('c1')],
        [
          message(1, 'c1', { role: 'user', content: 'Hi' }),
          message(2, 'c1', { role: 'assistant', content: 'Hello' }),
          message(3, 'c1', { role: 'tool', content: '{}' }),
        ],
      );
      chat.selection = { kind: 'profile', id: 'p1' };
      chat.settings = { ...chat.settings, systemPrompt: 'Be brief.', temperature: 0, seed: 7 };
      const sent = chat.send('Again');
      await settle();
      const a = gw.answers[0]!;
      expect(a.body.model).toBe('Precise');
      expect(a.body.messages).toEqual([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'Again' },
      ]);
      expect(a.body).toMatchObject({ temperature: 0, seed: 7 });
      expect(a.body).not.toHaveProperty('top_p');
      expect(a.body).not.toHaveProperty('max_tokens');
      a.end();
      await sent;
    });

    it('sends the speculative setting and keeps the answer’s accepted/proposed counts', async () => {
      const { chat, stored } = await ready();
      chat.selection = { kind: 'model', id: 'org/m' };
      chat.settings = { ...chat.settings, speculative: 'prompt_lookup' };
      const sent = chat.send('Copy this');
      await settle();
      const a = gw.answers[0]!;
      expect(a.body.speculative).toEqual({ method: 'prompt_lookup' });
      a.send(delta({ content: 'Copied.' }, 'stop'));
      a.send({
        choices: [],
        usage: {
          completion_tokens: 12,
          prompt_tokens: 9,
          orchard: {
            speculative: { method: 'prompt_lookup', applied: true, proposed: 10, accepted: 8 },
          },
        },
      });
      a.end();
      await sent;
      expect(stored().at(-1)?.meta).toMatchObject({
        tokens: 12,
        specProposed: 10,
        specAccepted: 8,
      });
      chat.settings = { ...chat.settings, speculative: 'draft_model', draftModel: ' org/draft ' };
      const again = chat.send('Once more');
      await settle();
      expect(gw.answers[1]!.body.speculative).toEqual({ draft_model: 'org/draft' });
      gw.answers[1]!.end();
      await again;
    });

    it('sends nothing that is only whitespace, and nothing while an answer streams', async () => {
      const { chat, stored } = await ready();
      chat.selection = { kind: 'model', id: 'org/m' };
      await chat.send('   ');
      expect(stored()).toEqual([]);
      const first = chat.send('one');
      await settle();
      await chat.send('two');
      expect(stored().map((m) => m.content)).toEqual(['one']);
      gw.answers[0]!.end();
      await first;
    });

    it('asks for a model first, keeping the question', async () => {
      const { chat, stored } = await ready();
      await chat.send('Hello?');
      expect(chat.error).toBe('Pick a model or a profile first.');
      expect(gw.fetch).not.toHaveBeenCalled();
      expect(stored().map((m) => m.content)).toEqual(['Hello?']);
    });

    it('stops: the answer so far is kept and marked stopped', async () => {
      const { chat, stored } = await ready();
      chat.selection = { kind: 'model', id: 'org/m' };
      const sent = chat.send('Count to ten');
      await settle();
      gw.answers[0]!.send(delta({ content: 'One, two' }));
      await settle();
      chat.stop();
      await sent;
      expect(gw.answers[0]!.signal.aborted).toBe(true);
      expect(chat.error).toBeNull();
      expect(stored().at(-1)).toMatchObject({ role: 'assistant', content: 'One, two' });
      expect(stored().at(-1)?.meta?.stopped).toBe(true);
    });

    it('shows a stream that failed midway, and stores none of it', async () => {
      const { chat, stored } = await ready();
      chat.selection = { kind: 'model', id: 'org/m' };
      const sent = chat.send('Hi');
      await settle();
      gw.answers[0]!.send(delta({ content: 'Hel' }));
      gw.answers[0]!.send({ error: { message: 'the sidecar crashed' } });
      gw.answers[0]!.end();
      await sent;
      expect(chat.error).toBe('the sidecar crashed');
      expect(chat.draft).toBeNull();
      expect(stored().map((m) => m.role)).toEqual(['user']);
    });

    it('shows the gateway’s refusal', async () => {
      vi.stubGlobal('fetch', fakeGateway({ status: 404, error: 'no model named org/x' }).fetch);
      const { chat } = await ready();
      chat.selection = { kind: 'model', id: 'org/x' };
      await chat.send('Hi');
      expect(chat.error).toBe('no model named org/x');
      expect(chat.busy).toBe(false);
    });

    it('stops the answer when another conversation is opened, and shows only that one', async () => {
      const { chat, stored } = await ready([conversation('c1'), conversation('c2')]);
      chat.selection = { kind: 'model', id: 'org/m' };
      const sent = chat.send('Hi');
      await settle();
      gw.answers[0]!.send(delta({ content: 'Hel' }));
      await settle();
      await chat.open('c2');
      await sent;
      expect(gw.answers[0]!.signal.aborted).toBe(true);
      expect(chat.draft).toBeNull();
      expect(chat.currentId).toBe('c2');
      expect(chat.messages).toEqual([]);
      expect(stored().map((m) => [m.conversationId, m.role])).toEqual([
        ['c1', 'user'],
        ['c1', 'assistant'],
      ]);
    });

    it('sends attached images as image_url parts, keeps them with the message and in the history', async () => {
      const { chat, conversations, stored } = await ready();
      chat.selection = { kind: 'model', id: 'org/m' };
      const image = { url: 'data:image/png;base64,iVBORw0KGgo=', name: 'cat.png' };
      const first = chat.send('  ', [image]);
      await settle();
      expect(conversations()[0]?.title).toBe('cat.png'); // no text: the picture names the chat
      expect(stored()[0]).toMatchObject({ role: 'user', content: '', meta: { images: [image] } });
      const part = { type: 'image_url', image_url: { url: image.url } };
      expect(gw.answers[0]!.body.messages).toEqual([{ role: 'user', content: [part] }]);
      gw.answers[0]!.send(delta({ content: 'A cat.' }, 'stop'));
      gw.answers[0]!.end();
      await first;
      const second = chat.send('And its colour?');
      await settle();
      expect(gw.answers[1]!.body.messages).toEqual([
        { role: 'user', content: [part] },
        { role: 'assistant', content: 'A cat.' },
        { role: 'user', content: 'And its colour?' },
      ]);
      gw.answers[1]!.end();
      await second;
    });

    it('sends attached files as a delimited block before the text, kept with the message for later turns', async () => {
      const { chat, conversations, stored } = await ready();
      chat.selection = { kind: 'model', id: 'org/m' };
      const file = {
        name: 'notes.md',
        text: 'Room 4B\n',
        bytes: 8,
        tokens: 5,
        estimated: false,
      };
      const first = chat.send('', [], [file]);
      await settle();
      expect(conversations()[0]?.title).toBe('notes.md');
      expect(stored()[0]).toMatchObject({ role: 'user', content: '', meta: { files: [file] } });
      const block = 'File: notes.md\n```markdown\nRoom 4B\n```';
      expect(gw.answers[0]!.body.messages).toEqual([{ role: 'user', content: block }]);
      gw.answers[0]!.send(delta({ content: 'Noted.' }, 'stop'));
      gw.answers[0]!.end();
      await first;
      const second = chat.send('Which room?');
      await settle();
      expect(gw.answers[1]!.body.messages).toEqual([
        { role: 'user', content: block },
        { role: 'assistant', content: 'Noted.' },
        { role: 'user', content: 'Which room?' },
      ]);
      gw.answers[1]!.end();
      await second;
      const resent = chat.editAndResend(stored()[0]!.id, 'Which floor?');
      await settle();
      expect(stored().map((m) => [m.content, m.meta?.files ?? null])).toEqual([
        ['Which floor?', [file]],
      ]);
      expect(gw.answers[2]!.body.messages).toEqual([
        { role: 'user', content: `${block}\n\nWhich floor?` },
      ]);
      gw.answers[2]!.end();
      await resent;
    });

    it('edit and resend keeps the edited message’s images', async () => {
      const image = { url: 'data:image/png;base64,iVBORw0KGgo=', name: 'cat.png' };
      const { chat, stored } = await ready(
        [conversation('c1')],
        [
          message(1, 'c1', { role: 'user', content: 'What?', meta: { images: [image] } }),
          message(2, 'c1', { role: 'assistant', content: 'A cat.' }),
        ],
      );
      chat.selection = { kind: 'model', id: 'org/m' };
      const resent = chat.editAndResend(1, 'What colour?');
      await settle();
      expect(stored().map((m) => [m.content, m.meta?.images ?? null])).toEqual([
        ['What colour?', [image]],
      ]);
      expect(gw.answers[0]!.body.messages).toEqual([
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What colour?' },
            { type: 'image_url', image_url: { url: image.url } },
          ],
        },
      ]);
      gw.answers[0]!.end();
      await resent;
    });

    it('regenerates: the last answer is deleted and asked for again', async () => {
      const { core, chat, stored } = await ready(
        [conversation('c1')],
        [
          message(1, 'c1', { role: 'user', content: 'Hi' }),
          message(2, 'c1', { role: 'assistant', content: 'Old' }),
        ],
      );
      chat.selection = { kind: 'model', id: 'org/m' };
      const again = chat.regenerate();
      await settle();
      expect(core.inputs('conversations.truncate')).toEqual([
        { conversationId: 'c1', fromMessageId: 2 },
      ]);
      expect(gw.answers[0]!.body.messages).toEqual([{ role: 'user', content: 'Hi' }]);
      gw.answers[0]!.send(delta({ content: 'New' }));
      gw.answers[0]!.end();
      await again;
      expect(stored().map((m) => m.content)).toEqual(['Hi', 'New']);
      expect(chat.messages.map((m) => m.content)).toEqual(['Hi', 'New']);
    });

    it('retries after a failure without deleting the question', async () => {
      const { core, chat } = await ready(
        [conversation('c1')],
        [message(1, 'c1', { role: 'user', content: 'Hi' })],
      );
      chat.selection = { kind: 'model', id: 'org/m' };
      chat.error = 'the sidecar crashed';
      const again = chat.retry();
      expect(chat.error).toBeNull();
      await settle();
      expect(core.inputs('conversations.truncate')).toEqual([]);
      gw.answers[0]!.end();
      await again;
    });

    it('edits a question: it and all after it are replaced, then answered', async () => {
      const { chat, stored } = await ready(
        [conversation('c1')],
        [
          message(1, 'c1', { role: 'user', content: 'Hi' }),
          message(2, 'c1', { role: 'assistant', content: 'Hello' }),
          message(3, 'c1', { role: 'user', content: 'Capital of Frnace?' }),
          message(4, 'c1', { role: 'assistant', content: '?' }),
        ],
      );
      chat.selection = { kind: 'model', id: 'org/m' };
      const edited = chat.editAndResend(3, ' Capital of France? ');
      await settle();
      expect(gw.answers[0]!.body.messages).toEqual([
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'Capital of France?' },
      ]);
      gw.answers[0]!.send(delta({ content: 'Paris' }));
      gw.answers[0]!.end();
      await edited;
      expect(stored().map((m) => m.content)).toEqual([
        'Hi',
        'Hello',
        'Capital of France?',
        'Paris',
      ]);
    });

    it('does not answer again when the old answer could not be deleted', async () => {
      const { core, chat } = await ready(
        [conversation('c1')],
        [
          message(1, 'c1', { role: 'user', content: 'Hi' }),
          message(2, 'c1', { role: 'assistant', content: 'Old' }),
        ],
      );
      chat.selection = { kind: 'model', id: 'org/m' };
      core.answer('conversations.truncate', () => {
        throw new ApiError('internal', 'database is locked');
      });
      await chat.regenerate();
      expect(chat.storeError).toBe('database is locked');
      expect(gw.fetch).not.toHaveBeenCalled();
      expect(chat.messages.map((m) => m.content)).toEqual(['Hi', 'Old']);
    });
  });
});
