// Page object for MCP in chat: the "MCP servers" panel (add a server), the confirmation asked before
// a tool runs, and the tool-call blocks in the conversation. Waits on what the page shows, never sleeps.
import type { Locator, Page } from 'playwright-core';

export class McpPanel {
  readonly page: Page;
  constructor(page: Page) {
    this.page = page;
  }

  get toggle(): Locator {
    return this.page.getByRole('button', { name: 'MCP servers', exact: true });
  }
  server(name: string): Locator {
    return this.page.getByRole('listitem', { name: `Server ${name}` });
  }
  get confirmation(): Locator {
    return this.page.getByRole('group', { name: 'Confirm tool call' });
  }
  toolCall(name: string): Locator {
    return this.page.getByRole('log', { name: 'Messages' }).getByRole('article', {
      name: `Tool call ${name}`,
    });
  }

  async open(): Promise<void> {
    if ((await this.toggle.getAttribute('aria-expanded')) !== 'true') await this.toggle.click();
  }
  async close(): Promise<void> {
    if ((await this.toggle.getAttribute('aria-expanded')) === 'true') await this.toggle.click();
  }

  /** Adds a stdio server through the form; waits until it is listed. */
  async addStdio(s: { name: string; command: string; args: string[] }): Promise<void> {
    await this.open();
    const form = this.page.getByRole('form', { name: 'Add MCP server' });
    await form.getByRole('textbox', { name: 'Name' }).fill(s.name);
    await form.getByRole('combobox', { name: 'Transport' }).selectOption('stdio');
    await form.getByRole('textbox', { name: 'Command' }).fill(s.command);
    await form.getByRole('textbox', { name: 'Arguments (one a line)' }).fill(s.args.join('\n'));
    await form.getByRole('button', { name: 'Add server' }).click();
    await this.server(s.name).waitFor();
  }

  /** Edits a listed server through the same form; waits until core has saved it. */
  async edit(name: string, c: { timeoutSeconds?: number; permission?: 'ask' | 'allow' }) {
    await this.open();
    await this.server(name)
      .getByRole('button', { name: `Edit ${name}` })
      .click();
    const form = this.page.getByRole('form', { name: 'Edit MCP server' });
    if (c.timeoutSeconds !== undefined)
      await form
        .getByRole('spinbutton', { name: 'Tool timeout (seconds)' })
        .fill(String(c.timeoutSeconds));
    if (c.permission)
      await form.getByRole('combobox', { name: 'Before a tool runs' }).selectOption(c.permission);
    await form.getByRole('button', { name: 'Save changes' }).click();
    // Saved: the form goes back to adding (it changes only after core answered).
    await form.waitFor({ state: 'detached' });
  }
}
