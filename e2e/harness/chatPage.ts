// Page object of the chat playground, addressed the way assistive technology sees it (roles and names).
/// <reference lib="dom" />
import type { Locator, Page } from 'playwright-core';

export interface StreamSnapshot {
  reasoning: number;
  answer: number;
  expanded: string | null;
}

export class ChatPage {
  readonly page: Page;
  constructor(page: Page) {
    this.page = page;
  }

  get nav(): Locator {
    return this.page.getByRole('navigation', { name: 'Main' });
  }
  get log(): Locator {
    return this.page.getByRole('log', { name: 'Messages' });
  }
  get composer(): Locator {
    return this.page.getByRole('textbox', { name: 'Message', exact: true });
  }
  get sendButton(): Locator {
    return this.page.getByRole('button', { name: 'Send', exact: true });
  }
  get stopButton(): Locator {
    return this.page.getByRole('button', { name: 'Stop', exact: true });
  }
  get picker(): Locator {
    return this.page.getByRole('combobox', { name: 'Model' });
  }
  answers(): Locator {
    return this.log.getByRole('article', { name: 'Assistant' });
  }
  userMessages(): Locator {
    return this.log.getByRole('article', { name: 'You' });
  }
  lastAnswer(): Locator {
    return this.answers().last();
  }
  answerText(answer: Locator): Locator {
    return answer.getByTestId('answer');
  }
  reasoning(answer: Locator): Locator {
    return answer.getByRole('region', { name: 'Reasoning' });
  }
  alert(): Locator {
    return this.log.getByRole('alert');
  }

  /** Ready = core answered app.status and the engine reported `ready` (an app event, not a sleep). */
  async waitReady(): Promise<void> {
    await this.page.locator('.engine[data-state="ready"]').waitFor({ timeout: 120_000 });
  }

  async newChat(): Promise<void> {
    const before = await this.page
      .getByRole('region', { name: 'Conversations' })
      .getByRole('listitem')
      .count();
    await this.page.getByRole('button', { name: 'New chat', exact: true }).click();
    await this.page
      .getByRole('region', { name: 'Conversations' })
      .getByRole('listitem')
      .nth(before)
      .waitFor();
  }

  /** Picks a model or profile; waits until a local model shows as loaded. */
  async pick(value: string, loadedLabel?: string): Promise<void> {
    await this.picker.locator(`option[value="${value}"]`).waitFor({ state: 'attached' });
    await this.picker.selectOption(value);
    if (loadedLabel)
      await this.picker
        .locator(`option[value="${value}"]`, { hasText: `${loadedLabel} (loaded)` })
        .waitFor({ state: 'attached', timeout: 120_000 });
    await this.page
      .getByRole('status')
      .filter({ hasText: 'Loading' })
      .waitFor({ state: 'detached' });
  }

  get attachButton(): Locator {
    return this.page.getByRole('button', { name: 'Attach', exact: true });
  }
  /** Thumbnails waiting in the composer, by the images' names. */
  attached(): Locator {
    return this.page.getByRole('list', { name: 'Attached images' }).getByRole('img');
  }
  /** Pictures shown in a sent message. */
  messageImages(message: Locator): Locator {
    return message.getByRole('list', { name: 'Images' }).getByRole('img');
  }

  /** Picks image files through the Attach button's file chooser; waits for their thumbnails. */
  async attach(files: Array<{ name: string; mimeType: string; buffer: Buffer }>): Promise<void> {
    const before = await this.attached().count();
    const [chooser] = await Promise.all([
      this.page.waitForEvent('filechooser'),
      this.attachButton.click(),
    ]);
    await chooser.setFiles(files);
    await this.attached()
      .nth(before + files.length - 1)
      .waitFor();
  }

  /** Pastes one PNG (base64) into the message box as a clipboard paste would; waits for its thumbnail. */
  async pasteImage(name: string, base64: string): Promise<void> {
    const before = await this.attached().count();
    await this.composer.evaluate(
      (box, [fileName, data]) => {
        const bytes = Uint8Array.from(atob(data!), (c) => c.charCodeAt(0));
        const clip = new DataTransfer();
        clip.items.add(new File([bytes], fileName!, { type: 'image/png' }));
        box.dispatchEvent(
          new ClipboardEvent('paste', { clipboardData: clip, bubbles: true, cancelable: true }),
        );
      },
      [name, base64],
    );
    await this.attached().nth(before).waitFor();
  }

  /** Drops one PNG (base64) on the composer as a file drag would; waits for its thumbnail. */
  async dropImage(name: string, base64: string): Promise<void> {
    const before = await this.attached().count();
    await this.page.getByRole('form', { name: 'Compose' }).evaluate(
      (form, [fileName, data]) => {
        const bytes = Uint8Array.from(atob(data!), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], fileName!, { type: 'image/png' }));
        form.dispatchEvent(
          new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }),
        );
        form.dispatchEvent(
          new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }),
        );
      },
      [name, base64],
    );
    await this.attached().nth(before).waitFor();
  }

  /** Text files waiting in the composer (chips: name, token count, remove button). */
  attachedFiles(): Locator {
    return this.page.getByRole('list', { name: 'Attached files' }).getByRole('listitem');
  }
  /** Files shown in a sent message. */
  messageFiles(message: Locator): Locator {
    return message.getByRole('list', { name: 'Files' }).getByRole('listitem');
  }
  /** The composer's line on context use (tokens of the conversation and files, the window). */
  get contextUse(): Locator {
    return this.page.getByRole('note', { name: 'Context use' });
  }
  /** Picks files through the Attach button's file chooser (the test waits for what it expects). */
  async attachFiles(
    files: Array<{ name: string; mimeType: string; buffer: Buffer }>,
  ): Promise<void> {
    const [chooser] = await Promise.all([
      this.page.waitForEvent('filechooser'),
      this.attachButton.click(),
    ]);
    await chooser.setFiles(files);
  }

  /** Drops (or pastes into the message box) one text file as a file drag or a clipboard paste would. */
  async dropOrPasteText(how: 'drop' | 'paste', name: string, text: string): Promise<void> {
    const target =
      how === 'drop' ? this.page.getByRole('form', { name: 'Compose' }) : this.composer;
    await target.evaluate(
      (el, [kind, fileName, body]) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([body!], fileName!, { type: 'text/plain' }));
        if (kind === 'paste')
          el.dispatchEvent(
            new ClipboardEvent('paste', {
              clipboardData: transfer,
              bubbles: true,
              cancelable: true,
            }),
          );
        else
          for (const type of ['dragover', 'drop'])
            el.dispatchEvent(
              new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }),
            );
      },
      [how, name, text],
    );
  }

  /** Records every percentage the picker's load progress bar shows for `model`, in order. */
  async recordLoadPercent(model: string): Promise<void> {
    await this.page.evaluate((name) => {
      const w = window as unknown as { __loadPercents: number[] };
      w.__loadPercents = [];
      const seen = () => {
        const bar = document.querySelector(`progress[aria-label="Loading ${name}"]`);
        const v = bar?.getAttribute('value');
        if (v === null || v === undefined) return;
        if (w.__loadPercents.at(-1) !== Number(v)) w.__loadPercents.push(Number(v));
      };
      new MutationObserver(seen).observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['value'],
      });
    }, model);
  }
  async loadPercents(): Promise<number[]> {
    return this.page.evaluate(
      () => (window as unknown as { __loadPercents: number[] }).__loadPercents,
    );
  }

  async send(text: string): Promise<void> {
    await this.composer.fill(text);
    await this.composer.press('Enter');
  }

  async waitIdle(): Promise<void> {
    await this.sendButton.waitFor({ timeout: 120_000 });
  }

  async setDrawerNumber(label: string, value: string): Promise<void> {
    const toggle = this.page.getByRole('button', { name: 'Chat settings', exact: true });
    if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
    const field = this.page.getByRole('spinbutton', { name: label });
    await field.fill(value);
    await field.blur();
  }

  /** Records every visible step of the stream: reasoning and answer lengths and the region's state. */
  async recordStream(): Promise<void> {
    await this.page.evaluate(() => {
      const w = window as unknown as { __snaps: StreamSnapshot[] };
      w.__snaps = [];
      const log = document.querySelector('[role="log"]')!;
      const snap = () => {
        const answers = log.querySelectorAll('article[aria-label="Assistant"]');
        const last = answers[answers.length - 1];
        if (!last) return;
        const r = last.querySelector('.reasoning-text')?.textContent ?? '';
        const a = last.querySelector('[data-testid="answer"] .markdown')?.textContent?.trim() ?? '';
        const expanded =
          last
            .querySelector('section[aria-label="Reasoning"] button')
            ?.getAttribute('aria-expanded') ?? null;
        const prev = w.__snaps[w.__snaps.length - 1];
        if (
          !prev ||
          prev.reasoning !== r.length ||
          prev.answer !== a.length ||
          prev.expanded !== expanded
        ) {
          w.__snaps.push({ reasoning: r.length, answer: a.length, expanded });
        }
      };
      new MutationObserver(snap).observe(log, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
      });
    });
  }

  async snapshots(): Promise<StreamSnapshot[]> {
    return this.page.evaluate(() => (window as unknown as { __snaps: StreamSnapshot[] }).__snaps);
  }
}
