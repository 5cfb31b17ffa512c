// README pictures from real use: the starter model (SmolLM2) and a reasoning model loaded under a sensible
// memory limit, a reasoning answer in the chat. Written to docs/screenshots/ when ORCHARD_README_SHOTS=1.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatPage } from './harness/chatPage.ts';
import {
  buildFixtureCache,
  fixture,
  installStarter,
  STARTER,
  type Fixture,
} from './harness/fixtures.ts';
import { ManagePages } from './harness/managePages.ts';
import { launchOrchard, type Orchard } from './harness/orchard.ts';

describe('README pictures (e2e)', () => {
  let o: Orchard;
  let cache: string;
  let reasoner: Fixture;

  beforeAll(async () => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-e2e-readme-'));
    reasoner = fixture(buildFixtureCache(cache), 'scripted-reasoner');
    installStarter(cache);
    o = await launchOrchard({ name: 'readme', cache });
    await new ChatPage(o.page).waitReady();
  });
  afterAll(async () => {
    await o?.stop();
    fs.rmSync(cache, { recursive: true, force: true });
  });

  it('a reasoning answer in the chat, and the starter model in memory under a 12 GB limit', async () => {
    await o.rpc.call('models.load', { model: STARTER });
    const chat = new ChatPage(o.page);
    await chat.newChat();
    await chat.pick(`model:${reasoner.repo_id}`, reasoner.repo_id);
    await chat.send('Count to nine');
    await chat.stopButton.waitFor();
    await chat.waitIdle();
    expect((await chat.answerText(chat.lastAnswer()).textContent())?.trim()).toBe(reasoner.content);
    await o.readmeShot('chat');
    const ui = new ManagePages(o.page);
    await ui.open('Memory');
    await o.page.getByLabel('Limit in GB').fill('12');
    await ui.button('Apply limit').click();
    await o.page.getByText('Memory limit set to 12 GB').waitFor();
    await o.page.getByText(STARTER).first().waitFor();
    await o.readmeShot('memory');
  });
});
