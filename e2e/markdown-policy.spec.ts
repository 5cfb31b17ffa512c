// One Markdown policy, two libraries: the browser's sanitizer (DOMPurify) and core's (sanitize-html) give
// the same HTML for the same input. The browser side is bundled as the renderer ships it and run in Chromium.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src-main/core/config/index.ts';
import { renderCard, sanitizeCardHtml } from '../src-main/core/hub/card.ts';
import { CHROMIUM, CHROMIUM_ARGS } from './harness/env.ts';

const HOSTILE = [
  '<p onclick="x()" style="position:fixed" class="hljs modal">hi<script>window.__pwned=1</script></p>',
  '<a href="javascript:alert(1)" target="_self">a</a><a href="java&#x09;script:alert(1)">b</a>',
  '<a href="/settings">c</a><a href="//evil.example">d</a><a href="#top" rel="opener">e</a>',
  '<a href="mailto:a@b.c" title="t">m</a><a href="HTTPS://x.example/?q=1&amp;r=2">h</a>',
  '<img src="http://x/t.png" onerror="x()"><img src="https://x/ok.png" alt="ok" width="10">',
  '<img src="data:image/png;base64,AA"><img src="https://x/s.svg" srcset="https://y/a.png 2x">',
  '<iframe src="https://x">framed</iframe><style>p{}</style><noscript>ns</noscript><textarea>ta</textarea>',
  '<svg><a href="https://x">s</a><script>1</script></svg><math><mi>x</mi></math><video>v</video>',
  '<form action="https://x"><input type="text" name="q" value="v"><button>go</button></form>',
  '<ul><li><input type="checkbox" checked> done</li><li><input type="checkbox" disabled> todo</li></ul>',
  '<pre><code class="hljs language-ts"><span class="hljs-title function_ evil">f</span></code></pre>',
  '<table><thead><tr><th align="left" style="x">a</th></tr></thead><tbody><tr><td align="right">1</td></tr></tbody></table>',
  '<details open><summary>More</summary><p data-x="1" id="y" aria-label="z">text</p></details>',
  '<ol start="3" type="a"><li>three</li></ol><blockquote cite="https://x">q</blockquote>',
  '<object data="https://x/e.swf">obj</object><embed src="https://x/e.swf"><base href="https://evil/">',
  '<h1 id="t">T</h1><sup>1</sup><sub>2</sub><del>d</del><s>s</s><hr><br><em>e</em><strong>b</strong>',
];

const MARKDOWN = [
  '# Card\n\n[site](https://example.com) ![chart](https://example.com/c.png) ![local](c.png)',
  '| a | b |\n|:--|--:|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo\n\n1. one\n2. two',
  '```python\nprint("<b>")\n```\n\n> quote with <span onclick="x()">html</span> and [js](javascript:1)',
];

let browser: Browser;
let page: Page;
let dir: string;

type Sanitizer = { sanitizeHtml(html: string, source: 'answer' | 'card'): string };

/** Both outputs re-parsed by the browser, attributes sorted: the same DOM gives the same text. */
async function inBrowser(html: string, source: 'answer' | 'card', other?: string) {
  return page.evaluate(
    ([h, s, o]) => {
      const canonical = (markup: string) => {
        const t = document.createElement('template');
        t.innerHTML = markup;
        for (const el of Array.from(t.content.querySelectorAll('*'))) {
          const attrs = Array.from(el.attributes)
            .map((a) => [a.name, a.value] as const)
            .sort();
          for (const [n] of attrs) el.removeAttribute(n);
          for (const [n, v] of attrs) el.setAttribute(n, v);
        }
        return t.innerHTML;
      };
      const w = window as unknown as { OrchardSanitize: Sanitizer; __pwned?: number };
      return {
        browser: canonical(w.OrchardSanitize.sanitizeHtml(h, s)),
        core: o === undefined ? null : canonical(o),
        pwned: w.__pwned,
      };
    },
    [html, source, other] as const,
  );
}

// Web mode's browser; in Electron mode on a machine without it there is nothing to compare in.
describe.skipIf(!fs.existsSync(CHROMIUM))('the Markdown policy in the browser and in core', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-sanitize-'));
    await build({
      configFile: false,
      root: REPO_ROOT,
      logLevel: 'warn',
      build: {
        outDir: dir,
        emptyOutDir: true,
        minify: false,
        lib: {
          entry: path.join(REPO_ROOT, 'src-renderer/src/lib/ui/sanitize.ts'),
          name: 'OrchardSanitize',
          formats: ['iife'],
          fileName: () => 'sanitize.js',
        },
      },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
    });
    page = await browser.newPage();
    await page.setContent('<!doctype html><html><body></body></html>');
    await page.addScriptTag({ path: path.join(dir, 'sanitize.js') });
  });

  afterAll(async () => {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(HOSTILE)('gives the same card HTML: %s', async (html) => {
    const r = await inBrowser(html, 'card', sanitizeCardHtml(html));
    expect(r.browser).toBe(r.core);
    expect(r.browser).not.toMatch(/on\w+=|javascript|<script|style=|<iframe|http:\/\/x/i);
    expect(r.pwned).toBeUndefined();
  });

  it.each(MARKDOWN)('gives the same card for Markdown: %s', async (md) => {
    const html = renderCard(md);
    const r = await inBrowser(html, 'card', html);
    expect(r.browser).toBe(r.core);
  });

  it('shows no images in answers', async () => {
    const r = await inBrowser('<p>a<img src="https://x/t.png" alt="t">b</p>', 'answer');
    expect(r.browser).toBe('<p>ab</p>');
  });
});
