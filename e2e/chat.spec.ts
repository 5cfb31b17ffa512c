// Chat journeys through the real stack (UI → gateway → sidecar → mlx-lm on fixture models):
// reasoning then answer with the manifest's exact texts, regenerate, edit and resend, reload,
// Stop mid-answer freeing the sidecar's slot, the starter model, and a gateway error shown inline.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatPage } from './harness/chatPage.ts';
import { ManagePages } from './harness/managePages.ts';
import { slowLoadEnv } from '../test-support/sidecar/slowLoad.ts';
import {
  buildFixtureCache,
  buildLarge,
  fixture,
  installStarter,
  STARTER,
  type Fixture,
} from './harness/fixtures.ts';
import { launchOrchard, type Orchard } from './harness/orchard.ts';
import { solidPng } from '../test-support/images.ts';

const png = (rgb: [number, number, number]) => solidPng(rgb);
const RED_PNG = png([255, 0, 0]);
const BLUE_PNG = png([0, 0, 255]);

describe('chat playground (e2e)', () => {
  let o: Orchard;
  let chat: ChatPage;
  let cache: string;
  let reasoner: Fixture;
  let endless: Fixture;
  let all: Fixture[];
  let large: string;

  const messages = async () => {
    const [current] = await o.rpc.call('conversations.list');
    return o.rpc.call('conversations.messages', { id: current!.id });
  };
  const sidecarSlots = async (): Promise<number> => {
    const { port } = await o.rpc.call('sidecar.status');
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as {
      active_sequences: number;
    };
    return health.active_sequences;
  };

  /** The gateway's audit row of the latest request for a model (metadata only, written within a second). */
  const lastAudit = (model: string): { status: number; error_code: string | null } | undefined => {
    const db = new Database(path.join(o.home, 'orchard.db'), {
      readonly: true,
      fileMustExist: true,
    });
    try {
      return db
        .prepare(
          'SELECT status, error_code FROM audit_log WHERE model = ? ORDER BY id DESC LIMIT 1',
        )
        .get(model) as { status: number; error_code: string | null } | undefined;
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-e2e-cache-'));
    all = buildFixtureCache(cache);
    installStarter(cache);
    reasoner = fixture(all, 'scripted-reasoner');
    endless = fixture(all, 'scripted-endless');
    // A small "large" model whose load the sidecar's test brake slows, so its percentage is seen rising.
    large = buildLarge(cache, 64);
    o = await launchOrchard({ name: 'chat', cache, env: slowLoadEnv(large, 40) });
    chat = new ChatPage(o.page);
    await chat.waitReady();
  });
  afterAll(async () => {
    await o?.stop();
    if (cache) fs.rmSync(cache, { recursive: true, force: true });
  });

  it('streams the reasoning into its region, folds it, then streams the answer', async () => {
    await chat.newChat();
    await chat.pick(`model:${reasoner.repo_id}`, reasoner.repo_id);
    await o.screenshot('reasoner-picked');
    await chat.recordStream();
    await chat.send('Count to nine');
    await chat.stopButton.waitFor();
    await chat.waitIdle();
    await o.screenshot('reasoner-answered');

    const snaps = await chat.snapshots();
    const answer = chat.lastAnswer();
    expect((await chat.answerText(answer).textContent())?.trim()).toBe(reasoner.content);
    const region = chat.reasoning(answer);
    const toggle = region.getByRole('button');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await toggle.textContent()).toMatch(/Reasoning · Thought for \d/);
    await toggle.click();
    expect(await region.locator('.reasoning-text').textContent()).toBe(reasoner.reasoning);
    await o.screenshot('reasoning-expanded');

    // What the user saw, step by step: the reasoning shown (region open) before any answer text,
    // the region folded when the answer began, and the answer grew. Pieces are drawn in batches
    // paced to the page (the first of each part at once), so steps are batches, not tokens; the
    // Stop test below watches a long answer grow.
    const thinking = snaps.filter((s) => s.reasoning > 0 && s.answer === 0);
    const answering = snaps.filter((s) => s.answer > 0);
    expect(thinking.some((s) => s.reasoning < reasoner.reasoning.length)).toBe(true);
    expect(thinking.every((s) => s.expanded === 'true')).toBe(true);
    expect(
      answering.every((s) => s.reasoning === reasoner.reasoning.length && s.expanded === 'false'),
    ).toBe(true);
    expect(new Set(answering.map((s) => s.answer)).size).toBeGreaterThan(1);

    const figures = answer.locator('dl[aria-label="Answer figures"]');
    expect(await figures.locator('[data-figure="ttft"]').textContent()).toMatch(
      /\d+(\.\d)? (ms|s)/,
    );
    expect(await figures.locator('[data-figure="tps"]').textContent()).toMatch(/tok\/s/);
    expect(Number(await figures.locator('[data-figure="tokens"]').textContent())).toBeGreaterThan(
      1,
    );
    expect(await figures.locator('[data-figure="route"]').textContent()).toContain(
      reasoner.repo_id,
    );

    const stored = await messages();
    expect(stored.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(stored[1]).toMatchObject({ content: reasoner.content, reasoning: reasoner.reasoning });
    expect(stored[1]!.meta?.route).toContain(reasoner.repo_id);
    expect((await o.rpc.call('conversations.list'))[0]!.title).toBe('Count to nine');

    await answer.getByRole('button', { name: 'Copy', exact: true }).click();
    await answer.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await o.readClipboard()).toBe(reasoner.content);
  });

  it('regenerates the last answer in place', async () => {
    const before = await messages();
    await chat.lastAnswer().getByRole('button', { name: 'Regenerate' }).click();
    await chat.stopButton.waitFor();
    await chat.waitIdle();
    expect(await chat.answers().count()).toBe(1);
    expect((await chat.answerText(chat.lastAnswer()).textContent())?.trim()).toBe(reasoner.content);
    const after = await messages();
    expect(after.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(after[1]!.id).toBeGreaterThan(before[1]!.id);
    await o.screenshot('regenerated');
  });

  it('edits a message and resends it', async () => {
    const user = chat.userMessages().first();
    await user.getByRole('button', { name: 'Edit' }).click();
    const box = user.getByRole('textbox', { name: 'Edit message' });
    await box.fill('Count to nine, please');
    await o.screenshot('editing');
    await user.getByRole('button', { name: 'Save and resend' }).click();
    await chat.stopButton.waitFor();
    await chat.waitIdle();
    expect(await chat.userMessages().count()).toBe(1);
    expect(await chat.userMessages().first().textContent()).toContain('Count to nine, please');
    expect((await chat.answerText(chat.lastAnswer()).textContent())?.trim()).toBe(reasoner.content);
    const stored = await messages();
    expect(stored.map((m) => [m.role, m.content])).toEqual([
      ['user', 'Count to nine, please'],
      ['assistant', reasoner.content],
    ]);
    await o.screenshot('resent');
  });

  it('keeps the conversation across a page reload', async () => {
    await o.page.reload();
    await chat.waitReady();
    await chat.userMessages().first().waitFor();
    expect(await chat.userMessages().first().textContent()).toContain('Count to nine, please');
    const answer = chat.lastAnswer();
    expect((await chat.answerText(answer).textContent())?.trim()).toBe(reasoner.content);
    expect(await chat.reasoning(answer).getByRole('button').getAttribute('aria-expanded')).toBe(
      'false',
    );
    expect(await answer.locator('[data-figure="route"]').textContent()).toContain(reasoner.repo_id);
    expect(
      await o.page
        .getByRole('region', { name: 'Conversations' })
        .getByRole('button', { name: 'Count to nine', exact: true })
        .getAttribute('aria-current'),
    ).toBe('true');
    await o.screenshot('reloaded');
  });

  it('Stop ends the answer mid-stream and the sidecar frees the slot', async () => {
    await chat.newChat();
    // A model that never ends its turn by itself: only Stop (or 8000 tokens) ends this answer.
    await chat.pick(`model:${endless.repo_id}`, endless.repo_id);
    await chat.setDrawerNumber('Max tokens', '8000');
    await chat.recordStream();
    await chat.send('Write forever');
    const streaming = chat.log.locator(
      'article[aria-busy="true"] [data-testid="answer"] .markdown',
    );
    await streaming.waitFor();
    // The answer grows on the page while it streams.
    await expect
      .poll(async () => new Set((await chat.snapshots()).map((s) => s.answer)).size, {
        timeout: 15_000,
      })
      .toBeGreaterThan(5);
    await o.screenshot('streaming-before-stop');
    await chat.stopButton.click();
    await chat.waitIdle();
    // The abort reached the gateway (it recorded the client closing the stream) and the sidecar
    // dropped the sequence from its batch. The whole audit row is compared so that a failure shows
    // how the request did end.
    await expect
      .poll(() => lastAudit(endless.repo_id), { timeout: 15_000 })
      .toMatchObject({ status: 499, error_code: 'client_closed' });
    await expect.poll(sidecarSlots, { timeout: 15_000 }).toBe(0);

    const answer = chat.lastAnswer();
    expect(await answer.locator('[data-figure="stopped"]').textContent()).toBe('Stopped');
    const tokens = Number(await answer.locator('[data-figure="tokens"]').textContent());
    expect(tokens).toBeGreaterThan(0);
    expect(tokens).toBeLessThan(8000);
    const stored = (await messages()).at(-1)!;
    expect(stored.meta?.stopped).toBe(true);
    // What was stored is what streamed: a prefix of the endless text.
    expect(stored.content.length).toBeGreaterThan(0);
    expect(endless.content.repeat(800).startsWith(stored.content)).toBe(true);
    await o.screenshot('stopped');
  });

  it('answers with the starter model', async () => {
    await chat.newChat();
    await chat.pick(`model:${STARTER}`, STARTER);
    await chat.setDrawerNumber('Max tokens', '24');
    // Shift+Enter is a new line, Enter sends.
    await chat.composer.fill('What is the capital');
    await chat.composer.press('Shift+Enter');
    await chat.composer.pressSequentially('of France?');
    expect(await chat.composer.inputValue()).toBe('What is the capital\nof France?');
    expect(await chat.userMessages().count()).toBe(0);
    await chat.composer.press('Enter');
    await chat.stopButton.waitFor();
    await chat.waitIdle();
    const answer = chat.lastAnswer();
    expect(((await chat.answerText(answer).textContent()) ?? '').trim().length).toBeGreaterThan(0);
    expect((await messages())[0]!.content).toBe('What is the capital\nof France?');
    expect(await answer.locator('[data-figure="route"]').textContent()).toContain(STARTER);
    expect(await chat.alert().count()).toBe(0);
    await o.screenshot('starter-answered');
  });

  it('attaches images (file chooser, drop, paste) to a vision model; thumbnails stay with the chat', async () => {
    const vision = fixture(all, 'vision-llava');
    await chat.newChat();
    await chat.pick(`model:${vision.repo_id}`, vision.repo_id);
    await chat.setDrawerNumber('Max tokens', '8');
    await chat.attach([{ name: 'red.png', mimeType: 'image/png', buffer: RED_PNG }]);
    await chat.dropImage('blue.png', BLUE_PNG.toString('base64'));
    await chat.pasteImage('pasted.png', RED_PNG.toString('base64'));
    expect(
      await chat.attached().evaluateAll((imgs) => imgs.map((i) => i.getAttribute('alt'))),
    ).toEqual(['red.png', 'blue.png', 'pasted.png']);
    await o.screenshot('vision-attached');
    await chat.send('What is in these pictures?');
    await chat.waitIdle();
    const answer = chat.lastAnswer();
    expect(((await chat.answerText(answer).textContent()) ?? '').length).toBeGreaterThan(0);
    expect(await chat.alert().count()).toBe(0);
    expect(await chat.attached().count()).toBe(0); // sent: the composer is empty again
    const stored = await messages();
    expect(stored[0]!.meta?.images?.map((i) => i.name)).toEqual([
      'red.png',
      'blue.png',
      'pasted.png',
    ]);
    expect(stored[0]!.meta?.images?.[0]?.url).toMatch(/^data:image\/png;base64,/);
    // The audit row (written within a second) shows the request answered.
    await expect
      .poll(() => lastAudit(vision.repo_id), { timeout: 15_000 })
      .toMatchObject({ status: 200 });

    // Kept with the conversation: after a reload the message shows its pictures again.
    await o.page.reload();
    await chat.waitReady();
    const sent = chat.userMessages().last();
    await chat.messageImages(sent).nth(2).waitFor();
    expect(await chat.messageImages(sent).count()).toBe(3);
    await o.screenshot('vision-reloaded');

    // The Library names the model's vision capability (its kind), read from its config.
    const ui = new ManagePages(o.page);
    await ui.open('Library');
    const row = o.page.getByRole('row', { name: vision.repo_id });
    await row.waitFor();
    expect(await row.textContent()).toContain('vision · llava');
    await chat.nav.getByRole('link', { name: 'Chat', exact: true }).click();
    await chat.composer.waitFor();
  });

  it('answers about an attached text file, counted with the model tokenizer; binary files are refused', async () => {
    await chat.newChat();
    await chat.pick(`model:${STARTER}`, STARTER);
    await chat.setDrawerNumber('Temperature', '0');
    await chat.setDrawerNumber('Max tokens', '24');
    const secret = 'The password for the wifi network is: PINEAPPLE42\n';
    await chat.attachFiles([
      { name: 'secret.txt', mimeType: 'text/plain', buffer: Buffer.from(secret) },
      { name: 'blob.bin', mimeType: 'application/octet-stream', buffer: Buffer.from([1, 0, 2]) },
    ]);
    // The count shown is the loaded model's own (no ≈), the same the sidecar's tokenizer gives.
    const chip = chat.attachedFiles().filter({ hasText: 'secret.txt' });
    await chip.getByText(/^\d+ tokens$/).waitFor();
    const [expected] = (
      await o.rpc.call('models.countTokens', {
        model: STARTER,
        texts: ['File: secret.txt\n```\n' + secret + '```'],
      })
    ).counts!;
    expect(await chip.textContent()).toContain(`${expected} tokens`);
    expect(await o.page.getByRole('alert').filter({ hasText: 'blob.bin' }).textContent()).toBe(
      'blob.bin is a binary file; only text and code files can be attached',
    );
    expect(await chat.contextUse.textContent()).toMatch(
      /^\d+ tokens with the conversation of the model's 8,192-token window$/,
    );
    // A drop and a paste attach files too; each chip's Remove button works from the keyboard.
    await chat.dropOrPasteText('drop', 'dropped.py', 'print("dropped")\n');
    await chat.dropOrPasteText('paste', 'pasted.md', '# Pasted\n');
    await chat.attachedFiles().filter({ hasText: 'pasted.md' }).waitFor();
    expect(await chat.attachedFiles().allTextContents()).toHaveLength(3);
    for (const name of ['dropped.py', 'pasted.md']) {
      await o.page.getByRole('button', { name: `Remove ${name}`, exact: true }).focus();
      await o.page.keyboard.press('Enter');
      await chat.attachedFiles().filter({ hasText: name }).waitFor({ state: 'detached' });
    }
    expect(await chat.attachedFiles().count()).toBe(1);
    // A reply that cannot fit the window (max_tokens above it) is warned about before sending.
    await chat.setDrawerNumber('Max tokens', '9000');
    await o.page.getByRole('alert').filter({ hasText: 'do not fit' }).waitFor();
    await chat.setDrawerNumber('Max tokens', '24');
    await o.page
      .getByRole('alert')
      .filter({ hasText: 'do not fit' })
      .waitFor({ state: 'detached' });
    await o.screenshot('file-attached');

    await chat.send('What is the wifi password?');
    await chat.stopButton.waitFor();
    await chat.waitIdle();
    expect(await chat.answerText(chat.lastAnswer()).textContent()).toContain('PINEAPPLE42');
    expect(await chat.attachedFiles().count()).toBe(0);
    const sent = chat.userMessages().last();
    expect(await chat.messageFiles(sent).textContent()).toMatch(
      new RegExp(`secret.txt\\s*${expected} tokens`),
    );
    const stored = await messages();
    expect(stored[0]).toMatchObject({
      content: 'What is the wifi password?',
      meta: { files: [{ name: 'secret.txt', text: secret, tokens: expected, estimated: false }] },
    });
    await o.screenshot('file-answered');

    // After a reload the chip is still there, and the file's text can be opened.
    await o.page.reload();
    await chat.waitReady();
    const again = chat.userMessages().last();
    await chat.messageFiles(again).first().waitFor();
    await chat.messageFiles(again).getByText('secret.txt').click();
    expect(await again.getByLabel(/^Text of secret.txt/).textContent()).toBe(secret);
  });

  it('shows the load percentage rising in the model picker', async () => {
    await chat.newChat();
    await chat.recordLoadPercent(large);
    await chat.pick(`model:${large}`, large);
    const seen = await chat.loadPercents();
    console.info(`[figure] load percentages seen in the picker: ${JSON.stringify(seen)}`);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen.filter((p) => p < 100)).size).toBeGreaterThanOrEqual(2);
    await o.rpc.call('models.unload', { model: large });
  });

  it('shows a gateway error inline with a retry', async () => {
    await o.rpc.call('profiles.create', { name: 'Broken', model: 'missing-org/missing-model' });
    await o.page.reload();
    await chat.waitReady();
    await chat.newChat();
    const profile = (await o.rpc.call('profiles.list')).find((p) => p.name === 'Broken')!;
    await chat.pick(`profile:${profile.id}`);
    await chat.send('Hello?');
    const alert = chat.alert();
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/missing-org\/missing-model|Broken/);
    expect(await chat.answers().count()).toBe(0);
    await o.screenshot('gateway-error');
    await alert.getByRole('button', { name: 'Retry' }).click();
    await chat.alert().waitFor();
    expect(await chat.userMessages().count()).toBe(1);
    expect((await messages()).map((m) => m.role)).toEqual(['user']);
  });
});
