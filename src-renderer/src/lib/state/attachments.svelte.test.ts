// The composer's text files against a stand-in core: counts from models.countTokens when the model is
// loaded, ≈ estimates otherwise, refusals named, and the overflow warning against the context window.
import { describe, expect, it } from 'vitest';
import { appWith, FakeCore } from '../../../test/fakeCore.ts';
import { localModel } from '../../../test/fixtures.ts';
import { estimateTokens, fileBlock, MAX_FILES } from '../chat/files.ts';
import { Attachments, MESSAGE_OVERHEAD, type CountSource } from './attachments.svelte.ts';

const text = (name: string, body: string) => new File([body], name, { type: 'text/plain' });

async function setup(opts: { loaded: boolean; model?: string | null; window?: number }) {
  const core = new FakeCore()
    .answer('models.list', () => [localModel('org/m', { loaded: opts.loaded })])
    .answer('models.countTokens', ({ texts }) => ({
      loaded: opts.loaded,
      // A stand-in tokenizer: one token per word.
      counts: opts.loaded ? texts.map((t) => t.split(/\s+/).filter(Boolean).length) : null,
      contextLength: opts.window ?? 100,
    }));
  const app = appWith(core);
  await app.refreshModels();
  const src: CountSource & { texts: string[]; maxTokens: number } = {
    texts: ['You are terse.', 'Hello there'],
    maxTokens: 0,
    model: () => (opts.model === undefined ? 'org/m' : opts.model),
    history: () => src.texts,
    reserve: () => src.maxTokens,
  };
  return { core, src, files: new Attachments(app, src) };
}

describe('Attachments', () => {
  it("counts each file's block and the history with the loaded model's tokenizer", async () => {
    const { core, files } = await setup({ loaded: true });
    await files.add([text('a.txt', 'one two three')]);
    expect(core.inputs('models.countTokens').at(-1)).toEqual({
      model: 'org/m',
      texts: ['You are terse.\nHello there', fileBlock('a.txt', 'one two three')],
    });
    expect(files.files).toMatchObject([{ name: 'a.txt', tokens: 7, estimated: false }]);
    expect(files.historyTokens).toBe(5 + 2 * MESSAGE_OVERHEAD);
    expect(files.total).toBe(5 + 2 * MESSAGE_OVERHEAD + 7);
    expect(files.estimated).toBe(false);
    expect(files.summary).toBe("20 tokens with the conversation of the model's 100-token window");
    expect(files.overflow).toBe(false);
    expect(files.warning).toBeNull();
  });

  it('estimates (≈) when the model is not loaded, still knowing its window', async () => {
    const { files } = await setup({ loaded: false, window: 8 });
    await files.add([text('a.txt', 'x'.repeat(40))]);
    const block = fileBlock('a.txt', 'x'.repeat(40));
    expect(files.files).toMatchObject([{ tokens: estimateTokens(block), estimated: true }]);
    expect(files.summary).toMatch(
      /^≈\d+ tokens with the conversation of the model's 8-token window \(estimated/,
    );
    expect(files.overflow).toBe(true);
    expect(files.warning).toMatch(
      /^The conversation and attachments \(≈\d+ tokens\) do not fit the model's context window of 8 tokens/,
    );
  });

  it('keeps room for max_tokens when it is set', async () => {
    const { src, files } = await setup({ loaded: true, window: 30 });
    await files.add([text('a.txt', 'one two')]);
    expect(files.total).toBe(5 + 2 * MESSAGE_OVERHEAD + 6);
    expect(files.overflow).toBe(false);
    src.maxTokens = 20;
    expect(files.overflow).toBe(true);
    expect(files.warning).toContain('plus 20 for the answer');
  });

  it('counts the message being typed (estimated) toward the window, and forgets it once sent', async () => {
    const { files } = await setup({ loaded: true, window: 30 });
    await files.add([text('a.txt', 'one two')]);
    expect(files.overflow).toBe(false); // 13 history + 6 file
    files.draft = 'y'.repeat(60); // 15 tokens estimated + the message's markers
    expect(files.total).toBe(13 + 6 + 15 + MESSAGE_OVERHEAD);
    expect(files.overflow).toBe(true);
    expect(files.summary).toContain('with the conversation and your message of the model');
    expect(files.warning).toMatch(/^The conversation, your message and attachments \(≈38 tokens\)/);
    files.draft = '   ';
    expect(files.total).toBe(19);
    files.draft = 'y'.repeat(60);
    files.take();
    expect(files.draft).toBe('');
    expect(files.overflow).toBe(false);
  });

  it('estimates without asking core when there is no local model, and when the count fails', async () => {
    const none = await setup({ loaded: true, model: null });
    await none.files.add([text('a.txt', 'one two')]);
    expect(none.core.inputs('models.countTokens')).toEqual([]);
    expect(none.files.files[0]?.estimated).toBe(true);
    expect(none.files.contextLength).toBeNull();
    expect(none.files.overflow).toBe(false);

    const failing = await setup({ loaded: true });
    failing.core.fail('models.countTokens', 'the sidecar is restarting', 'sidecar_error');
    await failing.files.add([text('a.txt', 'one two')]);
    expect(failing.files.estimated).toBe(true);
    expect(failing.files.summary).toMatch(/^≈/);
  });

  it('refuses binary files and more than the limit, naming each, and keeps the rest', async () => {
    const { files } = await setup({ loaded: true });
    const png = new File([Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0])], 'photo.raw');
    await files.add([png, text('ok.txt', 'fine')]);
    expect(files.files.map((f) => f.name)).toEqual(['ok.txt']);
    expect(files.error).toBe(
      'photo.raw is a binary file; only text and code files can be attached',
    );
    await files.add(Array.from({ length: MAX_FILES }, (_, i) => text(`${i}.txt`, 'x')));
    expect(files.files).toHaveLength(MAX_FILES);
    expect(files.error).toBe(`At most ${MAX_FILES} files per message.`);
    files.remove(0);
    expect(files.files[0]?.name).toBe('0.txt');
    expect(files.error).toBeNull();
    const taken = files.take();
    expect(taken).toHaveLength(MAX_FILES - 1);
    expect(files.files).toEqual([]);
  });

  it('recounts when the model gets loaded', async () => {
    const { core, files } = await setup({ loaded: false });
    const app = files.app;
    await files.add([text('a.txt', 'one two three four five six seven eight')]);
    expect(files.files[0]?.estimated).toBe(true);
    const before = files.countKey;
    core
      .answer('models.list', () => [localModel('org/m', { loaded: true })])
      .answer('models.countTokens', ({ texts }) => ({
        loaded: true,
        counts: texts.map((t) => t.split(/\s+/).filter(Boolean).length),
        contextLength: 100,
      }));
    await app.refreshModels();
    expect(files.countKey).not.toBe(before);
    await files.recount();
    expect(files.files[0]).toMatchObject({ tokens: 12, estimated: false });
  });
});
