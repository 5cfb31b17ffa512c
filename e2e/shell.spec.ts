// The app frame in a real browser: navigation by keyboard, conversations created / renamed / deleted
// and still there after a reload, model output rendered safely.
/// <reference lib="dom" />
import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatPage } from './harness/chatPage.ts';
import { buildFixtureCache } from './harness/fixtures.ts';
import { launchOrchard, type Orchard } from './harness/orchard.ts';

describe('app shell (e2e)', () => {
  let o: Orchard;
  let chat: ChatPage;
  let cache: string;

  beforeAll(async () => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-e2e-cache-'));
    buildFixtureCache(cache);
    o = await launchOrchard({ name: 'shell', cache });
    chat = new ChatPage(o.page);
    await chat.waitReady();
  });
  afterAll(async () => {
    await o?.stop();
    fs.rmSync(cache, { recursive: true, force: true });
  });

  it('has the ten pages in the main navigation, reachable by keyboard', async () => {
    const links = chat.nav.getByRole('link');
    expect(await links.allTextContents()).toEqual([
      'Chat',
      'Discover',
      'Downloads',
      'Library',
      'Profiles',
      'Memory',
      'Routing',
      'Logs',
      'Integrations',
      'Settings',
    ]);
    await o.page.keyboard.press('Tab');
    await expect
      .poll(() => o.page.evaluate(() => document.activeElement?.textContent))
      .toBe('Skip to content');
    await o.page.keyboard.press('Tab');
    await o.page.keyboard.press('Tab');
    await expect
      .poll(() => o.page.evaluate(() => document.activeElement?.textContent))
      .toBe('Discover');
    await o.page.keyboard.press('Enter');
    await o.page.getByRole('heading', { name: 'Discover' }).waitFor();
    expect(
      await chat.nav.getByRole('link', { name: 'Discover' }).getAttribute('aria-current'),
    ).toBe('page');
    await o.screenshot('discover-by-keyboard');
    await chat.nav.getByRole('link', { name: 'Chat' }).click();
    await chat.composer.waitFor();
    await o.screenshot('chat-empty');
  });

  it('creates, renames and deletes conversations, kept in SQLite across a reload', async () => {
    await chat.newChat();
    await chat.newChat();
    const region = o.page.getByRole('region', { name: 'Conversations' });
    await region.getByRole('button', { name: 'Rename Untitled chat' }).first().click();
    const title = region.getByRole('textbox', { name: 'Conversation title' });
    await title.fill('Apples');
    await title.press('Enter');
    await region.getByRole('button', { name: 'Apples', exact: true }).waitFor();
    await o.screenshot('renamed');

    await region.getByRole('button', { name: 'Delete Untitled chat' }).click();
    await region.getByRole('button', { name: 'Delete', exact: true }).click();
    await region
      .getByRole('button', { name: 'Untitled chat', exact: true })
      .waitFor({ state: 'detached' });
    await expect
      .poll(async () => (await o.rpc.call('conversations.list')).map((c) => c.title))
      .toEqual(['Apples']);

    await o.page.reload();
    await chat.waitReady();
    await region.getByRole('button', { name: 'Apples', exact: true }).waitFor();
    expect(await region.getByRole('listitem').count()).toBe(1);
  });

  it('renders stored answers as sanitized Markdown with highlighted code and copy buttons', async () => {
    const c = await o.rpc.call('conversations.create', { title: 'Markdown' });
    await o.rpc.call('conversations.addMessage', {
      conversationId: c.id,
      role: 'user',
      content: 'show me',
    });
    const hostile = [
      '**bold** and <img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script>',
      '[link](javascript:window.__pwned=3) [ok](https://example.com)',
      '```python\ndef f(x):\n    return "hi"\n```',
    ].join('\n\n');
    await o.rpc.call('conversations.addMessage', {
      conversationId: c.id,
      role: 'assistant',
      content: hostile,
      meta: { model: 'x', ttftMs: 12, tokens: 3, route: 'local:x' },
    });
    await o.page.reload();
    await chat.waitReady();
    await o.page
      .getByRole('region', { name: 'Conversations' })
      .getByRole('button', { name: 'Markdown', exact: true })
      .click();
    const answer = chat.lastAnswer();
    await answer.getByRole('button', { name: 'Copy code' }).waitFor();
    const html = await chat.answerText(answer).innerHTML();
    expect(html).toContain('<strong>bold</strong>');
    expect(html).not.toMatch(/onerror|<script|javascript:/i);
    expect(
      await o.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();
    expect(await answer.locator('code.language-python .hljs-keyword').first().textContent()).toBe(
      'def',
    );
    expect(await answer.getByRole('link', { name: 'ok' }).getAttribute('rel')).toContain(
      'noopener',
    );
    await answer.getByRole('button', { name: 'Copy code' }).click();
    await answer.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await o.readClipboard()).toBe('def f(x):\n    return "hi"');
    expect(await answer.locator('dl[aria-label="Answer figures"]').textContent()).toContain(
      'local:x',
    );
    await o.screenshot('markdown-sanitized');
  });
});
