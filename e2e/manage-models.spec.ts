// Model journeys against a local server speaking the Hub's protocol: search with filters, open a model and its
// fit, download, pause, resume, restart the app mid-download and see it finish, load it from the Library and
// chat with it, pin, unload and delete it; GGUF import's bad-input journey.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubServer, type HubServer } from '../test-support/hub/server.ts';
import { ChatPage } from './harness/chatPage.ts';
import { buildFixtureCache, fixture, type Fixture } from './harness/fixtures.ts';
import { ManagePages } from './harness/managePages.ts';
import { launchOrchard, type Orchard } from './harness/orchard.ts';

const REPO = 'mlx-community/Reasoner-Tiny-4bit';
const OTHER = 'other-org/Random-Llama';

/** Copies a built fixture's snapshot files into the Hub server's folder as repo `id`. */
function publish(
  cache: string,
  f: Fixture,
  hubRoot: string,
  id: string,
  meta: object,
  readme: string,
): number {
  const snaps = path.join(cache, `models--${f.repo_id.replace('/', '--')}`, 'snapshots');
  const snap = path.join(snaps, fs.readdirSync(snaps)[0]!);
  const dest = path.join(hubRoot, ...id.split('/'));
  fs.mkdirSync(dest, { recursive: true });
  for (const name of fs.readdirSync(snap))
    fs.copyFileSync(fs.realpathSync(path.join(snap, name)), path.join(dest, name));
  fs.writeFileSync(path.join(dest, 'README.md'), readme);
  fs.writeFileSync(`${dest}.meta.json`, JSON.stringify(meta));
  return fs.statSync(path.join(dest, 'model.safetensors')).size;
}

describe('discover, download, library (e2e)', () => {
  let o: Orchard;
  let ui: ManagePages;
  let hub: HubServer;
  let work: string;
  let home: string;
  let reasoner: Fixture;
  let weightsSize: number;

  const launch = async (name: string) => {
    o = await launchOrchard({
      name,
      cache: path.join(work, 'orchard-cache'),
      home,
      env: { HF_ENDPOINT: hub.url },
    });
    ui = new ManagePages(o.page);
    await new ChatPage(o.page).waitReady();
  };
  const job = () =>
    o.page
      .getByRole('list', { name: 'Downloads' })
      .getByRole('listitem', { name: REPO, exact: true });

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-e2e-models-'));
    home = path.join(work, 'home');
    fs.mkdirSync(path.join(work, 'orchard-cache'));
    const built = buildFixtureCache(path.join(work, 'fixtures'));
    reasoner = fixture(built, 'scripted-reasoner');
    const hubRoot = path.join(work, 'hub');
    weightsSize = publish(
      path.join(work, 'fixtures'),
      reasoner,
      hubRoot,
      REPO,
      {
        downloads: 12_345,
        likes: 67,
        pipeline_tag: 'text-generation',
        library_name: 'mlx',
        tags: ['mlx', 'text-generation'],
      },
      '# Reasoner Tiny\n\nA scripted **test** model that counts to nine.\n',
    );
    publish(
      path.join(work, 'fixtures'),
      fixture(built, 'random-llama'),
      hubRoot,
      OTHER,
      { downloads: 5, likes: 1, pipeline_tag: 'text-generation', library_name: 'mlx' },
      '# Random Llama\n',
    );
    hub = await startHubServer({ root: hubRoot, lfsThreshold: 1024 });
    await launch('models');
  });
  afterAll(async () => {
    await o?.stop();
    await hub?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('searches with filters and opens a model with its card and fit', async () => {
    await ui.open('Discover');
    const results = o.page.getByRole('list', { name: 'Search results' });
    await ui.button('Search').click();
    await results.getByRole('listitem', { name: REPO, exact: true }).waitFor();
    await results.getByRole('listitem', { name: OTHER, exact: true }).waitFor();
    // Sorted by downloads: the popular one first.
    expect(
      await results
        .getByRole('listitem')
        .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label'))),
    ).toEqual([REPO, OTHER]);
    await o.page.getByLabel('Author').fill('other-org');
    await ui.button('Search').click();
    await results.getByRole('listitem', { name: REPO, exact: true }).waitFor({ state: 'detached' });
    expect(await results.getByRole('listitem').count()).toBe(1);
    await o.page.getByLabel('Author').fill('');
    await o.page.getByLabel('Search', { exact: true }).fill('reasoner');
    await ui.button('Search').click();
    await results
      .getByRole('listitem', { name: OTHER, exact: true })
      .waitFor({ state: 'detached' });
    const card = results.getByRole('listitem', { name: REPO, exact: true });
    await card.getByTestId('fit').waitFor();
    expect(await card.getByTestId('fit').textContent()).toMatch(/^Fits: needs .+ of .+/);
    expect(await card.textContent()).toMatch(/12\.3K/);
    await ui.button(`Open ${REPO}`).click();
    const details = o.page.getByRole('article', { name: REPO });
    await details
      .getByRole('region', { name: 'Model card' })
      .getByRole('heading', { name: 'Reasoner Tiny' })
      .waitFor();
    expect(await details.getByRole('region', { name: 'Fit' }).textContent()).toMatch(
      /Weights: .*KV cache at 8192 tokens/,
    );
    expect(await details.textContent()).toContain('text');
    await o.screenshot('discover-details');
  });

  it('downloads, pauses and resumes, and continues after an app restart', async () => {
    // The link goes silent part-way (twice), so the download is still running while the user acts on it.
    hub.inject({ kind: 'stall', at: 40_000, path: 'model.safetensors' });
    await ui.button(`Download ${REPO}`).first().click();
    await o.page
      .getByRole('status')
      .filter({ hasText: `Downloading ${REPO}` })
      .waitFor();
    await ui.open('Downloads');
    await job().getByTestId('state').filter({ hasText: 'Downloading' }).waitFor();
    await o.page.waitForFunction(
      (repo) =>
        Number(
          document.querySelector(`[aria-label="${repo} progress"]`)?.getAttribute('aria-valuenow'),
        ) > 0,
      REPO,
    );
    await ui.button(`Pause ${REPO}`).click();
    await job().getByTestId('state').filter({ hasText: 'Paused' }).waitFor();
    const paused = (await o.rpc.call('downloads.list'))[0]!;
    expect(paused).toMatchObject({ status: 'paused', repoId: REPO });
    expect(paused.doneBytes).toBeGreaterThan(0);
    await o.screenshot('download-paused');
    hub.inject({ kind: 'stall', at: 90_000, path: 'model.safetensors' });
    await ui.button(`Resume ${REPO}`).click();
    await job().getByTestId('state').filter({ hasText: 'Downloading' }).waitFor();
    // The resumed request reached the server (it continues from the paused offset, see below).
    await expect
      .poll(() => hub.bodyRequests(REPO, 'model.safetensors'), { timeout: 30_000 })
      .toBe(2);
    const atStop = (await o.rpc.call('downloads.list'))[0]!;
    expect(atStop.status).toBe('running');

    await o.stop();
    await launch('models-restarted');
    await ui.open('Downloads');
    await job().waitFor();
    await job().getByTestId('state').filter({ hasText: 'Done' }).waitFor({ timeout: 120_000 });
    await o.screenshot('download-done-after-restart');
    // It continued: the weights crossed the wire about once, not once before and again after the restart.
    expect(hub.bytesServed(REPO, 'model.safetensors')).toBeLessThan(weightsSize * 1.5);
    expect((await o.rpc.call('downloads.list'))[0]).toMatchObject({
      status: 'done',
      doneBytes: atStop.totalBytes,
    });
  });

  it('loads the model from the Library and chats with it', async () => {
    hub.clearFaults();
    await ui.open('Library');
    const row = o.page.getByRole('row', { name: REPO });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/Not loaded/);
    await ui.button(`Load ${REPO}`).click();
    await row
      .getByTestId('loaded')
      .filter({ hasText: /^Loaded$/ })
      .waitFor({ timeout: 120_000 });
    await o.screenshot('library-loaded');
    const chat = new ChatPage(o.page);
    await ui.open('Chat');
    await chat.newChat();
    await chat.pick(`model:${REPO}`, REPO);
    await chat.send('Count to nine');
    await chat.stopButton.waitFor();
    await chat.waitIdle();
    expect((await chat.answerText(chat.lastAnswer()).textContent())?.trim()).toBe(reasoner.content);
  });

  it('pins, unloads and deletes (the confirmation names the space freed)', async () => {
    await ui.open('Library');
    const row = o.page.getByRole('row', { name: REPO });
    await ui.button(`Pin ${REPO}`).click();
    await row.getByTestId('loaded').filter({ hasText: 'Loaded, pinned' }).waitFor();
    expect((await o.rpc.call('models.list')).find((m) => m.id === REPO)?.pinned).toBe(true);
    // A loaded model cannot be deleted: unload it first.
    expect(await ui.button(`Delete ${REPO}`).isDisabled()).toBe(true);
    await ui.button(`Unload ${REPO}`).click();
    await row.getByTestId('loaded').filter({ hasText: 'Not loaded' }).waitFor();
    await ui.button(`Delete ${REPO}`).click();
    expect(await o.page.getByRole('dialog').textContent()).toMatch(/frees \d+(\.\d)? KB/);
    await ui.button('Cancel', o.page.getByRole('dialog')).click();
    expect((await o.rpc.call('library.list')).map((m) => m.repoId)).toContain(REPO);
    await ui.button(`Delete ${REPO}`).click();
    await ui.confirm('Delete model');
    await o.page
      .getByRole('status')
      .filter({ hasText: new RegExp(`Deleted ${REPO}; .+ freed`) })
      .waitFor();
    await row.waitFor({ state: 'detached' });
    expect((await o.rpc.call('library.list')).map((m) => m.repoId)).not.toContain(REPO);
  });

  it('GGUF import: bad paths and names are refused next to the field', async () => {
    const p = ui.field('GGUF file');
    await p.fill('model.gguf');
    await ui.field('Name in the library').fill('no-slash');
    await ui.button('Import').click();
    await ui.expectError(p, /absolute path/);
    await ui.expectError(ui.field('Name in the library'), /local\/my-model/);
    await p.fill('/nowhere/model.txt');
    await ui.field('Name in the library').fill('local/x');
    await ui.button('Import').click();
    await ui.expectError(p, /\.gguf/);
    await p.fill(path.join(work, 'missing.gguf'));
    await ui.button('Import').click();
    await ui.expectError(p, /GGUF import failed/);
    expect((await o.rpc.call('library.list')).map((m) => m.repoId)).not.toContain('local/x');
  });
});
