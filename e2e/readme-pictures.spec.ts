// README pictures from real use: the starter model (SmolLM2) and a reasoning model loaded under a sensible
// memory limit, a reasoning answer in the chat, a request that fell back from a model not downloaded to a
// provider (a real mlx_lm.server serving SmolLM2 over the OpenAI wire protocol), and an MCP tool call
// confirmed in the chat (the real server-everything over stdio). Written to docs/screenshots/ when
// ORCHARD_README_SHOTS=1.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING } from '../test-support/mcp/index.ts';
import { ChatPage } from './harness/chatPage.ts';
import {
  buildFixtureCache,
  fixture,
  installStarter,
  PYTHON,
  STARTER,
  type Fixture,
} from './harness/fixtures.ts';
import { ManagePages } from './harness/managePages.ts';
import { McpPanel } from './harness/mcpPanel.ts';
import { freePort, launchOrchard, type Orchard } from './harness/orchard.ts';

/** A model one might route to that is not downloaded here: its requests fall back. */
const NOT_DOWNLOADED = 'mlx-community/Qwen2.5-Coder-7B-Instruct-4bit';

describe('README pictures (e2e)', () => {
  let o: Orchard;
  let server: ChildProcess | undefined;
  let cache: string;
  let reasoner: Fixture;
  let tools: Fixture & { after_tool?: { content: string } };

  beforeAll(async () => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-e2e-readme-'));
    const all = buildFixtureCache(cache);
    reasoner = fixture(all, 'scripted-reasoner');
    tools = fixture(all, 'scripted-tools-mcp');
    installStarter(cache);
    o = await launchOrchard({ name: 'readme', cache });
    await new ChatPage(o.page).waitReady();
  });
  afterAll(async () => {
    await o?.stop();
    server?.kill('SIGTERM');
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

  it('a request that fell back to a provider, in Logs', async () => {
    // "Another machine on the network": mlx_lm.server with the starter model, from the same cache.
    const port = await freePort();
    server = spawn(
      PYTHON,
      ['-m', 'mlx_lm.server', '--model', STARTER, '--host', '127.0.0.1', '--port', String(port)],
      { stdio: 'ignore', env: { ...process.env, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' } },
    );
    const baseUrl = `http://127.0.0.1:${port}/v1`;
    for (let ready = false; !ready;) {
      if (server.exitCode !== null) throw new Error(`mlx_lm.server exited (${server.exitCode})`);
      ready = await fetch(`${baseUrl}/models`).then(
        (r) => r.ok,
        () => false,
      );
      if (!ready) await new Promise((r) => setTimeout(r, 250)); // polling its readiness, not a timed assertion
    }
    const provider = await o.rpc.call('providers.add', {
      name: 'studio-mac',
      format: 'openai',
      baseUrl,
      models: [STARTER],
    });
    await o.rpc.call('routing.addRule', {
      pattern: 'coder',
      target: { kind: 'local', model: NOT_DOWNLOADED },
      fallbacks: [{ kind: 'provider', providerId: provider.id, model: STARTER }],
    });
    const r = await fetch(`${o.api}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${o.token}` },
      body: JSON.stringify({
        model: 'coder',
        messages: [{ role: 'user', content: 'Write a haiku about apples.' }],
        max_tokens: 32,
      }),
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-orchard-fallback')).toBe('1');
    const ui = new ManagePages(o.page);
    await ui.open('Logs');
    const row = o.page.getByRole('row', { name: /^coder provider:studio-mac\/.* 200$/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('(fallback)');
    await o.readmeShot('logs');
  });

  it('an MCP tool call confirmed in the chat, its result in the answer', async () => {
    const mcp = new McpPanel(o.page);
    const chat = new ChatPage(o.page);
    await o.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Chat' })
      .click();
    await mcp.addStdio({ name: 'everything', command: process.execPath, args: [EVERYTHING] });
    await mcp.close();
    await chat.newChat();
    await chat.pick(`model:${tools.repo_id}`, tools.repo_id);
    await chat.send('Please echo something');
    await mcp.confirmation.waitFor({ timeout: 60_000 });
    await mcp.confirmation.getByRole('button', { name: 'Run', exact: true }).click();
    const call = mcp.toolCall('echo');
    await call.waitFor();
    await chat.waitIdle();
    expect(await call.getByLabel('Result').textContent()).toBe('Echo: orchard-mcp-check');
    expect((await chat.answerText(chat.lastAnswer()).textContent())?.trim()).toBe(
      tools.after_tool?.content,
    );
    await o.readmeShot('mcp');
  });
});
