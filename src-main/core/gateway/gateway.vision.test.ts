// Images through the gateway to the real sidecar's vision fixture (mlx-vlm LLaVA), with the official
// OpenAI and Anthropic clients: OpenAI chat (data: and http URLs), the Responses API (input_image),
// Anthropic image blocks (also in a tool_result), the Ollama API (images); a text model refuses.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/index.ts';
import { createLibrary } from '../library/index.ts';
import type { Supervisor } from '../sidecar/index.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { solidPng } from '../../../test-support/images.ts';
import {
  buildFixtures,
  fixture,
  startGateway,
  startSidecar,
  type Fixture,
  type GatewayServer,
} from '../../../test-support/gateway/kit.ts';

const png = (rgb: [number, number, number]) => solidPng(rgb, 40, 30);

const RED = png([255, 0, 0]);
const BLUE = png([0, 0, 255]);
const dataUrl = (b: Buffer) => `data:image/png;base64,${b.toString('base64')}`;
const BIG = 20 * 1024 * 1024;
// Greedy decoding on the Anthropic API: the sidecar reads `temperature`, this SDK's types do not list it.
const GREEDY: Record<string, unknown> = { temperature: 0 };

describe('images through the gateway to a vision model', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let fixtures: Fixture[];
  let sup: Supervisor;
  let gw: GatewayServer;
  let oa: OpenAI;
  let an: Anthropic;
  let images: http.Server;
  let imagesUrl: string;
  const agents: string[] = [];

  beforeAll(async () => {
    tmp = makeTempDir();
    fixtures = buildFixtures(`${tmp.dir}/hub`);
    sup = await startSidecar(`${tmp.dir}/hub`, tmp.dir);
    gw = await startGateway({ dir: tmp.dir, local: sup });
    oa = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'local', maxRetries: 0 });
    an = new Anthropic({ baseURL: gw.url, apiKey: 'local', maxRetries: 0 });
    // Like hosts that refuse clients without a User-Agent (the predecessor's 403s).
    images = http.createServer((req, res) => {
      const agent = req.headers['user-agent'] ?? '';
      agents.push(agent);
      if (!agent || /^python-urllib/i.test(agent)) return res.writeHead(403).end('no user agent');
      if (req.url === '/red.png')
        return res.writeHead(200, { 'content-type': 'image/png' }).end(RED);
      if (req.url === '/big.png')
        return res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(BIG));
      return res.writeHead(404).end();
    });
    await new Promise<void>((r) => images.listen(0, '127.0.0.1', r));
    imagesUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  }, 240_000);

  afterAll(async () => {
    images?.closeAllConnections();
    await new Promise((r) => images?.close(r));
    await gw?.close();
    await sup?.stop();
    tmp?.cleanup();
  });

  const vision = () => fixture(fixtures, 'vision-llava').repo_id;
  const llama = () => fixtures.find((f) => f.repo_id === 'orchard-fixtures/random-llama')!.repo_id;
  const ask = async (model: string, url: string) =>
    (
      await oa.chat.completions.create({
        model,
        temperature: 0,
        max_tokens: 8,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url } },
              { type: 'text', text: 'What is in this picture?' },
            ],
          },
        ],
      })
    ).choices[0]!.message.content;

  it('lists the vision capability in /v1/models', async () => {
    const res = await fetch(`${gw.url}/v1/models`);
    const body = (await res.json()) as { data: Array<{ id: string; capabilities?: string[] }> };
    const caps = (id: string) => body.data.find((m) => m.id === id)?.capabilities ?? [];
    expect(caps(vision())).toContain('vision');
    expect(caps(llama())).not.toContain('vision');
    // The Library reads the same files in core (modelCapabilities): the same vision verdict for every model.
    const db = openDatabase(`${tmp.dir}/library.db`);
    try {
      const listed = createLibrary({ db, cacheDir: `${tmp.dir}/hub` }).list();
      expect(listed.length).toBe(fixtures.length);
      for (const m of listed)
        expect([m.repoId, m.capabilities.includes('vision')]).toEqual([
          m.repoId,
          caps(m.repoId).includes('vision'),
        ]);
    } finally {
      db.close();
    }
  });

  it('OpenAI chat: a data URL and the same picture by http URL give the same answer', async () => {
    const red = await ask(vision(), dataUrl(RED));
    const blue = await ask(vision(), dataUrl(BLUE));
    expect(red).toBeTruthy();
    expect(red).not.toBe(blue); // the picture reached the model
    expect(await ask(vision(), `${imagesUrl}/red.png`)).toBe(red);
    expect(agents.at(-1)).toMatch(/^Orchard\//);
  }, 60_000);

  it('a 20 MB image and a text-only model are each a clear 400', async () => {
    const big = ask(vision(), `${imagesUrl}/big.png`);
    await expect(big).rejects.toMatchObject({ status: 400 });
    await expect(big).rejects.toThrow(`image 1 (${imagesUrl}/big.png)`);
    const text = ask(llama(), dataUrl(RED));
    await expect(text).rejects.toMatchObject({ status: 400 });
    await expect(text).rejects.toThrow(/reads text only/);
  }, 60_000);

  it('Responses API input_image and Anthropic image blocks reach the model', async () => {
    const red = await ask(vision(), dataUrl(RED));
    const resp = await oa.responses.create({
      model: vision(),
      temperature: 0,
      max_output_tokens: 8,
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_image', image_url: dataUrl(RED), detail: 'auto' },
            { type: 'input_text', text: 'What is in this picture?' },
          ],
        },
      ],
    });
    expect(resp.output_text).toBe(red);
    const msg = await an.messages.create({
      model: vision(),
      max_tokens: 8,
      ...GREEDY,
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'image',
              source: { type: 'base64', media_type: 'image/png', data: RED.toString('base64') },
            },
            { type: 'text', text: 'What is in this picture?' },
          ],
        },
      ],
    });
    expect(msg.content[0]).toMatchObject({ type: 'text', text: red });
    const viaTool = await an.messages.create({
      model: vision(),
      max_tokens: 8,
      ...GREEDY,
      messages: [
        { role: 'user', content: 'Take a screenshot.' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'shot', input: {} }] },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 't1',
              content: [{ type: 'image', source: { type: 'url', url: `${imagesUrl}/red.png` } }],
            },
          ],
        },
      ],
    });
    expect(viaTool.stop_reason).toBeTruthy();
    await expect(
      an.messages.create({
        model: llama(),
        max_tokens: 4,
        messages: [
          {
            role: 'user',
            content: [{ type: 'image', source: { type: 'url', url: `${imagesUrl}/red.png` } }],
          },
        ],
      }),
    ).rejects.toMatchObject({ status: 400 });
  }, 90_000);

  it('Ollama API: images on /api/chat reach the model; a text model refuses them', async () => {
    // Ollama's message is text then images: the same parts, in that order, by OpenAI chat.
    const red = (
      await oa.chat.completions.create({
        model: vision(),
        temperature: 0,
        max_tokens: 8,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in this picture?' },
              { type: 'image_url', image_url: { url: dataUrl(RED) } },
            ],
          },
        ],
      })
    ).choices[0]!.message.content;
    const chat = (model: string) =>
      fetch(`${gw.url}/api/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model,
          stream: false,
          options: { temperature: 0, num_predict: 8 },
          messages: [
            { role: 'user', content: 'What is in this picture?', images: [RED.toString('base64')] },
          ],
        }),
      });
    const ok = await chat(vision());
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { message: { content: string } }).message.content).toBe(red);
    const refused = await chat(llama());
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/does not support images/);
  }, 60_000);
});
