// Management journeys on the core-backed screens: Profiles (create, edit, duplicate, default, delete, then chat
// through a profile), Memory (limit, footprints, pins, eviction when a model no longer fits) and Settings
// (address, keys shown once, CORS, Hub token stored encrypted, theme), each with its bad-input journey;
// Integrations (settings to copy, filled in with this instance's address).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatPage } from './harness/chatPage.ts';
import { buildFixtureCache, fixture, type Fixture } from './harness/fixtures.ts';
import { ManagePages } from './harness/managePages.ts';
import { launchOrchard, type Orchard } from './harness/orchard.ts';
import { REPO_ROOT } from '../src-main/core/config/index.ts';

const GB = 1024 ** 3;

describe('management screens backed by core (e2e)', () => {
  let o: Orchard;
  let ui: ManagePages;
  let chat: ChatPage;
  let cache: string;
  let reasoner: Fixture;
  let all: Fixture[];

  beforeAll(async () => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-e2e-cache-'));
    all = buildFixtureCache(cache);
    reasoner = fixture(all, 'scripted-reasoner');
    o = await launchOrchard({ name: 'manage', cache });
    ui = new ManagePages(o.page);
    chat = new ChatPage(o.page);
    await chat.waitReady();
  });
  afterAll(async () => {
    await o?.stop();
    if (cache) fs.rmSync(cache, { recursive: true, force: true });
  });

  it('profile form: bad values get a message next to the field and nothing is saved', async () => {
    await ui.open('Profiles');
    await ui.button('New profile').click();
    const form = o.page.getByRole('form', { name: 'New profile' });
    await ui.field('Temperature', form).fill('5');
    await ui.field('Top K', form).fill('abc');
    await ui.button('Save profile', form).click();
    await ui.expectError(ui.field('Name', form), /^required$/);
    await ui.expectError(ui.field('Model', form), /^required$/);
    await ui.expectError(ui.field('Temperature', form), /^at most 2$/);
    await ui.expectError(ui.field('Top K', form), /^enter a number$/);
    // The message is what assistive technology reads for the field, and the first bad field has focus.
    expect(await ui.describedBy(ui.field('Temperature', form))).toContain(
      await ui.errorOf(ui.field('Temperature', form)),
    );
    expect(await ui.field('Name', form).evaluate((el) => el === document.activeElement)).toBe(true);
    await o.screenshot('profile-invalid');
    expect(await o.rpc.call('profiles.list')).toEqual([]);
  });

  it('creates, edits, duplicates, sets default and deletes profiles; a taken name is refused at the field', async () => {
    const form = o.page.getByRole('form', { name: 'New profile' });
    await ui.field('Name', form).fill('Reasoner');
    await ui.field('Model', form).fill(reasoner.repo_id);
    await ui.field('Temperature', form).fill('0');
    await ui.field('Top K', form).fill('');
    await ui.field('Stop sequences', form).fill('###');
    await ui.field('Max tokens', form).fill('200');
    await ui.button('Save profile', form).click();
    const list = o.page.getByRole('list', { name: 'Profiles' });
    await list.getByRole('listitem', { name: 'Reasoner', exact: true }).waitFor();
    let [p] = await o.rpc.call('profiles.list');
    expect(p).toMatchObject({
      name: 'Reasoner',
      model: reasoner.repo_id,
      isDefault: true,
      params: { temperature: 0, stop: ['###'], max_tokens: 200 },
    });

    await ui.button('Duplicate Reasoner').click();
    await list.getByRole('listitem', { name: 'Reasoner copy', exact: true }).waitFor();
    const edit = o.page.getByRole('form', { name: 'Edit Reasoner copy' });
    await ui.field('Name', edit).fill('Reasoner');
    await ui.button('Save profile', edit).click();
    await ui.expectError(ui.field('Name', edit), /already exists/);
    await ui.field('Name', edit).fill('Second');
    await ui.field('System prompt', edit).fill('Be brief.');
    // The KV cache select says what it saves, by the fit estimate's arithmetic.
    await ui.field('KV cache', edit).selectOption('8');
    await edit.getByText(/About 53% of the KV cache’s memory \(47% saved\)/).waitFor();
    await ui.button('Save profile', edit).click();
    await list.getByRole('listitem', { name: 'Second', exact: true }).waitFor();
    await ui.button('Make Second the default').click();
    await list
      .getByRole('listitem', { name: 'Second', exact: true })
      .getByText('Default', { exact: true })
      .waitFor();
    const second = (await o.rpc.call('profiles.list')).find((x) => x.name === 'Second')!;
    expect(second).toMatchObject({
      isDefault: true,
      params: { system_prompt: 'Be brief.', temperature: 0, kv_bits: 8 },
    });
    await o.screenshot('profiles-list');

    await ui.button('Delete Second').click();
    await ui.confirm('Delete profile');
    await list
      .getByRole('listitem', { name: 'Second', exact: true })
      .waitFor({ state: 'detached' });
    [p] = await o.rpc.call('profiles.list');
    expect((await o.rpc.call('profiles.list')).map((x) => x.name)).toEqual(['Reasoner']);
    expect(p!.name).toBe('Reasoner');
  });

  it('chats through the profile', async () => {
    const [p] = await o.rpc.call('profiles.list');
    await ui.open('Chat');
    await chat.newChat();
    await chat.pick(`profile:${p!.id}`);
    await chat.send('Count to nine');
    await chat.stopButton.waitFor();
    await chat.waitIdle();
    expect((await chat.answerText(chat.lastAnswer()).textContent())?.trim()).toBe(reasoner.content);
    await o.screenshot('chat-through-profile');
  });

  it('memory limit: a bad value is refused next to the field and the limit stays', async () => {
    await ui.open('Memory');
    const before = await o.rpc.call('memory.status');
    await o.page.getByRole('radio', { name: 'Percent of system memory' }).check();
    const field = ui.field('Limit in %');
    await field.fill('150');
    await ui.button('Apply limit').click();
    await ui.expectError(field, /at most 100/);
    await field.fill('0');
    await ui.button('Apply limit').click();
    await ui.expectError(field, /above 0/);
    expect((await o.rpc.call('memory.status')).limitBytes).toBe(before.limitBytes);
  });

  it('memory: footprints, pins and LRU order; a lower limit evicts the least recently used model on the next load', async () => {
    const [a, b, c] = [all[0]!, all[1]!, fixture(all, 'random-qwen3')];
    await o.rpc.call('models.load', { model: a.repo_id });
    await o.rpc.call('models.load', { model: b.repo_id });
    await o.rpc.call('models.load', { model: reasoner.repo_id, pin: true });
    const loaded = o.page.getByRole('list', { name: 'Loaded models' });
    for (const id of [a.repo_id, b.repo_id, reasoner.repo_id])
      await loaded.getByRole('listitem', { name: id, exact: true }).waitFor();
    // Eviction order: a (least recently used) first, b next; the pinned model last and marked.
    const order = await loaded
      .getByRole('listitem')
      .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    expect(order).toEqual([a.repo_id, b.repo_id, reasoner.repo_id]);
    await loaded
      .getByRole('listitem', { name: reasoner.repo_id, exact: true })
      .getByText('Pinned', { exact: true })
      .waitFor();
    // The prefix cache on disk against its budget (from /admin/memory).
    await o.page
      .getByTestId('disk-prefix-cache')
      .getByText(/Prefix cache on disk: \S+ \S+ of \S+ \S+ \(\d+%, \d+ blocks;/)
      .waitFor();
    expect(
      await loaded
        .getByRole('meter', { name: `${a.repo_id} footprint` })
        .getAttribute('aria-valuenow'),
    ).toMatch(/^[1-9]\d*$/);

    // A limit under which c fits only once a's memory is given back.
    const st = await o.rpc.call('memory.status');
    const models = await o.rpc.call('models.list');
    const need = models.find((m) => m.id === c.repo_id)!.sizeBytes!;
    const aFoot = st.models.find((m) => m.id === a.repo_id)!.footprintBytes;
    const limitGb = (st.activeBytes + need - aFoot / 2) / GB;
    await o.page.getByRole('radio', { name: 'Gigabytes' }).check();
    await ui.field('Limit in GB').fill(limitGb.toFixed(9));
    await ui.button('Apply limit').click();
    await o.page.getByText('Memory limit set to').waitFor();
    expect((await o.rpc.call('memory.status')).limitBytes).toBe(
      Math.floor(Number(limitGb.toFixed(9)) * GB),
    );

    await o.rpc.call('models.load', { model: c.repo_id });
    await loaded.getByRole('listitem', { name: c.repo_id, exact: true }).waitFor();
    await loaded
      .getByRole('listitem', { name: a.repo_id, exact: true })
      .waitFor({ state: 'detached' });
    await loaded.getByRole('listitem', { name: reasoner.repo_id, exact: true }).waitFor();
    await o.page.getByRole('img', { name: /Memory in use over the last 5 minutes/ }).waitFor();
    await o.screenshot('memory-evicted');
  });

  it('memory: the slider and the number stay in step', async () => {
    await o.page.getByRole('radio', { name: 'Percent of system memory' }).check();
    const slider = o.page.getByRole('slider', { name: 'Limit slider (%)' });
    await slider.focus();
    await slider.press('Home');
    await slider.press('ArrowRight');
    expect(await ui.field('Limit in %').inputValue()).toBe('2');
    await ui.field('Limit in %').fill('40');
    expect(await slider.inputValue()).toBe('40');
  });

  it('settings: bad values get messages next to their fields and nothing is saved', async () => {
    await ui.open('Settings');
    const form = o.page.getByRole('form', { name: 'Settings' });
    await ui.field('Port', form).waitFor();
    const before = await o.rpc.call('settings.get');
    await ui.field('Port', form).fill('80');
    await ui.field('Allowed browser origins (CORS)', form).fill('http://localhost:5173/path');
    await ui.field('Extra model folders', form).fill('models/here');
    await ui.field('Files downloaded at once', form).fill('9');
    await ui.field('Address', form).fill('not a host!');
    await ui.button('Save settings', form).click();
    await ui.expectError(ui.field('Port', form), /1024 to 65535/);
    await ui.expectError(ui.field('Allowed browser origins (CORS)', form), /origin/);
    await ui.expectError(ui.field('Extra model folders', form), /absolute path/);
    await ui.expectError(ui.field('Files downloaded at once', form), /1 to 8/);
    await ui.expectError(ui.field('Address', form), /IP address or host name/);
    await o.screenshot('settings-invalid');
    expect(await o.rpc.call('settings.get')).toEqual(before);

    // Checks only the server can make: a folder that does not exist, a LAN address without any key.
    await ui.field('Port', form).fill('8080');
    expect((await ui.describedBy(ui.field('Port', form))).length).toBeGreaterThan(0);
    await ui.button('Save settings', form).click();
    await ui.expectError(ui.field('Port', form), /another model server/);
    await ui.field('Port', form).fill('9345');
    await ui.field('Allowed browser origins (CORS)', form).fill('http://localhost:5173');
    await ui.field('Files downloaded at once', form).fill('4');
    await ui.field('Address', form).fill('127.0.0.1');
    await ui.field('Extra model folders', form).fill(path.join(o.home, 'no-such-folder'));
    await ui.button('Save settings', form).click();
    await ui.expectError(ui.field('Extra model folders', form), /is not a folder/);
    await ui.field('Extra model folders', form).fill('');
    await ui.field('Address', form).fill('0.0.0.0');
    await ui.button('Save settings', form).click();
    await ui.expectError(ui.field('Address', form), /API key/);
    expect(await o.rpc.call('settings.get')).toEqual(before);
  });

  it('settings: saves the server, CORS, concurrency and theme', async () => {
    const form = o.page.getByRole('form', { name: 'Settings' });
    await ui.field('Address', form).fill('127.0.0.1');
    await ui.field('Theme', form).selectOption('dark');
    await o.page
      .getByRole('checkbox', { name: 'Require an API key, even from this machine' })
      .check();
    await ui.button('Save settings', form).click();
    await ui.status().filter({ hasText: 'Settings saved.' }).waitFor();
    expect(await o.rpc.call('settings.get')).toMatchObject({
      port: 9345,
      corsOrigins: ['http://localhost:5173'],
      downloadConcurrency: 4,
      theme: 'dark',
      requireApiKey: true,
    });
    expect(await o.page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await o.page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(
      'rgb(22, 24, 29)',
    );
    await o.screenshot('settings-dark');
    // The page's own token still works with require-key on (it is Orchard's internal key).
    const r = await fetch(`${o.api}/models`, { headers: { authorization: `Bearer ${o.token}` } });
    expect(r.status).toBe(200);
    expect((await fetch(`${o.api}/models`)).status).toBe(401);
  });

  it('settings: an API key is shown once, copied, works, and is revoked after a confirmation', async () => {
    const name = ui.field('New key name');
    await ui.button('Create key').click();
    await ui.expectError(name, /name/);
    await name.fill('e2e client');
    await ui.button('Create key').click();
    const region = o.page.getByRole('region', { name: 'New API key' });
    const key = (await region.getByTestId('new-key').textContent())!;
    expect(key).toMatch(/^ork_/);
    await ui.button('Copy key', region).click();
    await ui.button('Copied', region).waitFor();
    expect(await o.readClipboard()).toBe(key);
    expect(
      (await fetch(`${o.api}/models`, { headers: { authorization: `Bearer ${key}` } })).status,
    ).toBe(200);
    await ui.button('Done', region).click();
    await region.waitFor({ state: 'detached' });
    expect(await o.page.getByText(key).count()).toBe(0);
    await ui.button('Revoke e2e client').click();
    await ui.confirm('Revoke key');
    await o.page.getByRole('row', { name: /e2e client.*Revoked/ }).waitFor();
    expect(
      (await fetch(`${o.api}/models`, { headers: { authorization: `Bearer ${key}` } })).status,
    ).toBe(401);
  });

  it("integrations: the settings to copy carry this instance's address, and copy from the keyboard", async () => {
    await ui.open('Integrations');
    await o.page.getByTestId('api-base').filter({ hasText: o.api }).waitFor();
    // The snippets name a model once the list has arrived (the picker is enabled then).
    await o.page.locator('select:enabled').waitFor();
    const codex = o.page.getByTestId('snippet-codex');
    const text = (await codex.textContent())!;
    expect(text).toContain(`base_url = "${o.api}"`);
    expect(text).toContain('wire_api = "responses"');
    expect(text).toMatch(/^model = "orchard-fixtures\//);
    expect(await o.page.getByTestId('snippet-claude-code').textContent()).toContain(
      `ANTHROPIC_BASE_URL=${o.api.replace(/\/v1$/, '')} `,
    );
    const copy = ui.button('Copy Codex settings');
    await copy.focus();
    await o.page.keyboard.press('Enter');
    await copy.filter({ hasText: 'Copied' }).waitFor();
    expect(await o.readClipboard()).toBe(text);
    await o.screenshot('integrations');
  });

  it("settings: the Engine section shows the checkout's engine, its real versions and state; Repair is for the managed engine", async () => {
    await ui.open('Settings');
    const facts = await ui.engineFacts();
    // The versions as the .venv's own package metadata has them, read apart from Orchard.
    const py = path.join(REPO_ROOT, 'inference-sidecar', '.venv', 'bin', 'python');
    const read = spawnSync(
      py,
      [
        '-c',
        'import importlib.metadata as m, sys; print(sys.version.split()[0], m.version("mlx"), m.version("mlx-lm"), m.version("orchard-sidecar"))',
      ],
      { encoding: 'utf8' },
    );
    const [python, mlx, mlxLm, sidecar] = read.stdout.trim().split(' ');
    expect(facts).toMatchObject({
      Mode: "This checkout's inference-sidecar/.venv",
      State: 'Ready',
      Python: python,
      'mlx-lm': mlxLm,
      Sidecar: sidecar,
    });
    expect(facts.MLX).toMatch(new RegExp(`^${mlx!.replaceAll('.', '\\.')} on Device\\((cpu|gpu)`));
    expect(facts['Last check']).toMatch(
      /^Passed, .*: imports and a computation on Device\((cpu|gpu)/,
    );
    expect(facts.Folder).toBe(path.join(REPO_ROOT, 'inference-sidecar', '.venv'));
    const section = ui.engineSection();
    expect(await ui.button('Repair…', section).isDisabled()).toBe(true);
    await section.getByText("This checkout's engine is made by").waitFor();

    // Check again probes the engine anew: the time of the last check moves on.
    const before = facts['Last check'];
    await ui.button('Check again', section).click();
    await section
      .getByTestId('engine-verify')
      .filter({ hasNotText: before! })
      .filter({ hasText: /^\s*Passed/ })
      .waitFor({ timeout: 60_000 });
    expect((await o.rpc.call('engine.status')).verify!.ok).toBe(true);
    await o.screenshot('settings-engine');
  });

  it('settings: the Hugging Face token is stored encrypted and never shown', async () => {
    await ui.open('Settings');
    const field = ui.field('Token');
    await field.fill('hf has spaces');
    await ui.button('Save token').click();
    await ui.expectError(field, /no spaces/);
    expect((await o.rpc.call('settings.get')).hfTokenSet).toBe(false);
    await field.fill('hf_e2eSecretToken42');
    await ui.button('Save token').click();
    await o.page
      .getByTestId('hf-state')
      .filter({ hasText: 'A token is stored (encrypted).' })
      .waitFor();
    expect(await field.inputValue()).toBe('');
    expect(fs.readFileSync(path.join(o.home, 'orchard.db')).includes('hf_e2eSecretToken42')).toBe(
      false,
    );
    const wal = path.join(o.home, 'orchard.db-wal');
    if (fs.existsSync(wal))
      expect(fs.readFileSync(wal).includes('hf_e2eSecretToken42')).toBe(false);
    await ui.button('Remove token').click();
    await o.page.getByTestId('hf-state').filter({ hasText: 'No token stored.' }).waitFor();
  });
});
