// MCP in chat through the real stack: a real MCP server from npm (server-everything over stdio) added
// in the panel, a scripted tool model that calls its echo tool, the call confirmed by the user, run
// by core, shown with its arguments and result, and sent back to the model, which then answers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING } from '../test-support/mcp/index.ts';
import { ChatPage } from './harness/chatPage.ts';
import { buildFixtureCache, fixture, type Fixture } from './harness/fixtures.ts';
import { McpPanel } from './harness/mcpPanel.ts';
import { launchOrchard, type Orchard } from './harness/orchard.ts';

describe('MCP tools in chat (e2e)', () => {
  let o: Orchard;
  let chat: ChatPage;
  let mcp: McpPanel;
  let cache: string;
  let model: Fixture & { after_tool?: { content: string } };

  beforeAll(async () => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-e2e-cache-'));
    model = fixture(buildFixtureCache(cache), 'scripted-tools-mcp');
    o = await launchOrchard({ name: 'chat-mcp', cache });
    chat = new ChatPage(o.page);
    mcp = new McpPanel(o.page);
    await chat.waitReady();
  });
  afterAll(async () => {
    await o?.stop();
    if (cache) fs.rmSync(cache, { recursive: true, force: true });
  });

  it('asks before the tool runs, shows the call and its result, and the model answers with it', async () => {
    await mcp.addStdio({ name: 'everything', command: process.execPath, args: [EVERYTHING] });
    expect(await mcp.server('everything').textContent()).toContain('stopped');
    await mcp.close();

    await chat.newChat();
    await chat.pick(`model:${model.repo_id}`, model.repo_id);
    await chat.send('Please echo something');

    // The server started because the chat needed it; the call waits for the user.
    await mcp.confirmation.waitFor({ timeout: 60_000 });
    expect(await mcp.confirmation.getByLabel('Arguments to send').textContent()).toContain(
      'orchard-mcp-check',
    );
    const [server] = await o.rpc.call('mcp.list');
    expect(server).toMatchObject({ name: 'everything', state: 'running', permission: 'ask' });
    await o.screenshot('mcp-confirm');
    await mcp.confirmation.getByRole('button', { name: 'Run', exact: true }).click();

    const call = mcp.toolCall('echo');
    await call.waitFor();
    await chat.waitIdle();
    expect(await call.getByLabel('Result').textContent()).toBe('Echo: orchard-mcp-check');
    expect(await call.getByLabel('Arguments').textContent()).toContain('"orchard-mcp-check"');
    expect((await chat.answerText(chat.lastAnswer()).textContent())?.trim()).toBe(
      model.after_tool?.content,
    );
    await o.screenshot('mcp-tool-call');

    const [conv] = await o.rpc.call('conversations.list');
    const stored = await o.rpc.call('conversations.messages', { id: conv!.id });
    expect(stored.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    expect(stored[1]?.meta?.toolCalls?.[0]).toMatchObject({ name: 'echo' });
    expect(stored[2]).toMatchObject({
      content: 'Echo: orchard-mcp-check',
      meta: { tool: { name: 'echo', server: 'everything', isError: false } },
    });
    expect(stored[3]?.content).toBe('The echo tool answered.');
  });

  it('edits a server in place: only the changed fields, the stored environment kept', async () => {
    const [before] = await o.rpc.call('mcp.list');
    await o.rpc.call('mcp.update', { id: before!.id, patch: { env: { ORCHARD_CHECK: 'kept' } } });
    await mcp.open();
    await mcp.edit('everything', { timeoutSeconds: 20, permission: 'allow' });
    const [server] = await o.rpc.call('mcp.list');
    expect(server).toMatchObject({
      name: 'everything',
      command: process.execPath,
      args: [EVERYTHING],
      permission: 'allow',
      timeoutMs: 20_000,
      envKeys: ['ORCHARD_CHECK'],
    });
    // The form went back to adding, empty.
    const form = o.page.getByRole('form', { name: 'Add MCP server' });
    expect(await form.getByRole('textbox', { name: 'Name' }).inputValue()).toBe('');
    await mcp.close();
  });
});
