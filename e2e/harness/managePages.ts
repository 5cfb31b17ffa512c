// Page object of the management screens (Profiles, Memory, Settings and its Engine section, Library, Discover,
// Downloads, Routing, Logs),
// addressed by roles and accessible names; a field's validation message is found through its aria-describedby.
import type { Locator, Page } from 'playwright-core';

export class ManagePages {
  readonly page: Page;
  constructor(page: Page) {
    this.page = page;
  }

  async open(name: string): Promise<void> {
    await this.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name, exact: true })
      .click();
    await this.page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
  }

  field(label: string, within?: Locator): Locator {
    return (within ?? this.page).getByLabel(label, { exact: true });
  }

  button(name: string, within?: Locator): Locator {
    return (within ?? this.page).getByRole('button', { name, exact: true });
  }

  /** The text of the messages the field points at with aria-describedby (its hint and its error). */
  async describedBy(field: Locator): Promise<string> {
    const ids = (await field.getAttribute('aria-describedby')) ?? '';
    const texts = await Promise.all(
      ids
        .split(/\s+/)
        .filter(Boolean)
        .map((id) => this.page.locator(`[id="${id}"]`).textContent()),
    );
    return texts.join(' ');
  }

  /** Waits for the field to be marked invalid and returns its error message. */
  async errorOf(field: Locator): Promise<string> {
    await field.and(this.page.locator('[aria-invalid="true"]')).waitFor();
    const id = await field.getAttribute('id');
    return (await this.page.locator(`[id="${id}-error"]`).textContent()) ?? '';
  }

  /** Waits until the field is invalid with a message matching `re` (a later answer replaces an earlier one); fails with what it shows instead. */
  async expectError(field: Locator, re: RegExp, timeout = 15_000): Promise<void> {
    const id = await field.getAttribute('id');
    const msg = this.page.locator(`[id="${id}-error"]`);
    try {
      await msg.filter({ hasText: re }).waitFor({ timeout });
    } catch {
      const shown = (await msg.count()) ? await msg.textContent() : '(no message)';
      throw new Error(`field ${id}: expected an error matching ${re}, it shows: ${shown}`);
    }
    if ((await field.getAttribute('aria-invalid')) !== 'true')
      throw new Error(`field ${id} has a message but is not aria-invalid`);
    if (
      !((await field.getAttribute('aria-describedby')) ?? '').split(/\s+/).includes(`${id}-error`)
    )
      throw new Error(`field ${id} does not point at its message`);
  }

  status(): Locator {
    return this.page.getByRole('status').filter({ hasNotText: /^Engine:/ });
  }

  /** The Engine section of Settings. */
  engineSection(): Locator {
    return this.page.getByRole('region', { name: 'Engine', exact: true });
  }

  /** The Engine section's facts (term → value), once its check of the engine in use has an answer. */
  async engineFacts(): Promise<Record<string, string>> {
    const section = this.engineSection();
    await section
      .getByTestId('engine-verify')
      .filter({ hasText: /^\s*(Passed|Failed)/ })
      .waitFor({ timeout: 60_000 });
    const terms = await section.locator('dt').allTextContents();
    const values = await section.locator('dd').allTextContents();
    return Object.fromEntries(terms.map((t, i) => [t.trim(), (values[i] ?? '').trim()]));
  }

  async confirm(name: string): Promise<void> {
    const dialog = this.page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name, exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
  }
}
