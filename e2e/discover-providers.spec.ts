// Discover's landing and provider presets, against local servers speaking the real protocols: the curated picks
// with their fit on this machine (Hub metadata from the Hub test server), a downloaded one marked, search as you
// type; an Anthropic preset added, its model list fetched from a stand-in of Anthropic's Models API, and tested.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CURATED_MODELS, CURATED_USES } from '#shared/curatedModels.ts';
import { publishCurated } from '../test-support/hub/curated.ts';
import { startHubServer, type HubServer } from '../test-support/hub/server.ts';
import { startProviderStandIn, type ProviderStandIn } from '../test-support/providers/standIn.ts';
import { ChatPage } from './harness/chatPage.ts';
import { buildFixtureCache } from './harness/fixtures.ts';
import { ManagePages } from './harness/managePages.ts';
import { launchOrchard, type Orchard } from './harness/orchard.ts';

const HAVE = 'mlx-community/Llama-3.2-3B-Instruct-4bit';
const BIG = 'mlx-community/Llama-3.3-70B-Instruct-4bit';
const KEY = 'sk-ant-stand-in';
const CLAUDES = Array.from({ length: 24 }, (_, i) => `claude-stand-in-${i + 1}`);

describe('discover landing and provider presets (e2e)', () => {
  let o: Orchard;
  let ui: ManagePages;
  let hub: HubServer;
  let anthropic: ProviderStandIn;
  let work: string;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-e2e-landing-'));
    const hubRoot = path.join(work, 'hub');
    publishCurated(hubRoot);
    hub = await startHubServer({ root: hubRoot });
    anthropic = await startProviderStandIn({ format: 'anthropic', apiKey: KEY, models: CLAUDES });
    // One pick is on this machine already: a llama fixture in the cache under its name.
    const fixtures = path.join(work, 'fixtures');
    buildFixtureCache(fixtures);
    const cache = path.join(work, 'cache');
    fs.mkdirSync(cache);
    fs.cpSync(
      path.join(fixtures, 'models--orchard-fixtures--random-llama'),
      path.join(cache, `models--${HAVE.replace('/', '--')}`),
      { recursive: true, verbatimSymlinks: true },
    );
    o = await launchOrchard({ name: 'landing', cache, env: { HF_ENDPOINT: hub.url } });
    ui = new ManagePages(o.page);
    await new ChatPage(o.page).waitReady();
    // A sensible limit for a 16 GB machine, whatever this one has: the verdicts below do not depend on it.
    await o.rpc.call('memory.setLimit', { limit: { gb: 12 } });
  });
  afterAll(async () => {
    await o?.stop();
    await hub?.close();
    await anthropic?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('shows curated picks per use and machine size, each with its fit here, the downloaded one marked', async () => {
    await ui.open('Discover');
    const landing = o.page.getByRole('region', { name: 'Picks for this machine' });
    for (const { title, use } of CURATED_USES) {
      const list = landing.getByRole('list', { name: title, exact: true });
      expect(
        await list
          .getByRole('listitem')
          .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label'))),
      ).toEqual(CURATED_MODELS.filter((m) => m.use === use).map((m) => m.repoId));
    }
    // Every pick's fit, read from the Hub (sizes and shapes) and this machine's memory limit.
    await expect
      .poll(() => landing.getByTestId('fit').count(), { timeout: 60_000 })
      .toBe(CURATED_MODELS.length);
    const pick = (id: string) => landing.getByRole('listitem', { name: id, exact: true });
    expect(await pick(HAVE).getByTestId('fit').textContent()).toMatch(/^Fits: needs .+ of .+/);
    expect(await pick(HAVE).getByTestId('size').textContent()).toMatch(/^1\.\d GB$/);
    expect(await pick(BIG).getByTestId('fit').textContent()).toMatch(
      /^Does not fit: needs .+ of .+/,
    );
    // Capabilities from each pick's config.json: badges for vision and embedding models, none for chat.
    const badges = (id: string) => pick(id).getByTestId('capability').allTextContents();
    expect(await badges('mlx-community/Qwen2.5-VL-3B-Instruct-4bit')).toEqual(['Vision']);
    expect(await badges('mlx-community/all-MiniLM-L6-v2-4bit')).toEqual(['Embeddings']);
    // Every pick is one Orchard can run (architectures from the engine: mlx-lm, mlx-vlm, the BERT embedder).
    expect(await landing.getByText('architecture not supported').count()).toBe(0);
    expect(await badges(HAVE)).toEqual([]);
    expect(await pick(HAVE).getByTestId('downloaded').textContent()).toBe('Downloaded');
    expect(await ui.button(`Download ${HAVE}`).count()).toBe(0);
    expect(await pick(BIG).getByTestId('downloaded').count()).toBe(0);
    await o.readmeShot('discover');

    // Search as you type: no button pressed, the results replace the landing; emptied, the landing is back.
    const search = o.page.getByLabel('Search', { exact: true });
    await search.pressSequentially('coder', { delay: 30 });
    const results = o.page.getByRole('list', { name: 'Search results' });
    await results
      .getByRole('listitem', { name: 'mlx-community/Qwen2.5-Coder-7B-Instruct-4bit' })
      .waitFor();
    expect(await landing.count()).toBe(0);
    expect(
      (
        await results
          .getByRole('listitem')
          .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')))
      ).every((id) => /coder/i.test(id ?? '')),
    ).toBe(true);
    await search.fill('');
    await search.press('Backspace');
    await landing.waitFor();
    await search.pressSequentially('3.2-3b', { delay: 30 });
    await results
      .getByRole('listitem', { name: HAVE, exact: true })
      .getByTestId('downloaded')
      .waitFor();
    await o.screenshot('search-as-you-type');
  });

  it('adds a provider from a preset, fetches its model list from the provider and tests it', async () => {
    await ui.open('Routing');
    const form = o.page.getByRole('form', { name: 'New provider' });
    await ui.field('Preset', form).selectOption({ label: 'Anthropic' });
    expect(await ui.field('Provider name', form).inputValue()).toBe('anthropic');
    expect(await ui.field('API format', form).inputValue()).toBe('anthropic');
    expect(await ui.field('Base URL', form).inputValue()).toBe('https://api.anthropic.com/v1');
    expect(await ui.describedBy(ui.field('API key', form))).toMatch(/Required by this provider/);
    // The stand-in of api.anthropic.com, on this machine.
    await ui.field('Base URL', form).fill(anthropic.url);
    await ui.field('API key', form).fill(KEY);
    await ui.button('Add provider', form).click();
    const item = o.page
      .getByRole('list', { name: 'Providers' })
      .getByRole('listitem', { name: 'anthropic' });
    await item.getByText(CLAUDES.join(', '), { exact: true }).waitFor();
    await ui
      .status()
      .filter({ hasText: `Provider anthropic added; ${CLAUDES.length} models` })
      .waitFor();
    const stored = (await o.rpc.call('routing.list')).providers;
    expect(stored).toEqual([
      expect.objectContaining({
        name: 'anthropic',
        format: 'anthropic',
        baseUrl: anthropic.url,
        models: CLAUDES,
        hasApiKey: true,
      }),
    ]);
    const before = anthropic.seen.length;
    await ui.button('Test anthropic').click();
    await item
      .getByTestId('test-result')
      .filter({ hasText: /^OK in \d+ ms; offers claude/ })
      .waitFor();
    expect(anthropic.seen.slice(before)).toEqual([
      { method: 'GET', url: '/v1/models?limit=1000', keyOk: true },
    ]);
    await o.screenshot('provider-preset');
  });
});
