// Model cards through the shared Markdown policy with sanitize-html: hostile HTML and Markdown in, inert HTML out.
import { describe, expect, it } from 'vitest';
import { renderCard, sanitizeCardHtml } from './card.ts';

describe('model cards', () => {
  it('drops scripts, handlers, styles, frames and unsafe URLs', () => {
    const html = sanitizeCardHtml(
      [
        '<p onclick="x()" style="position:fixed">hi<script>alert(1)</script></p>',
        '<iframe src="https://x"></iframe><style>body{}</style>',
        '<a href="javascript:alert(1)">a</a><a href="java&#x09;script:alert(1)">b</a>',
        '<a href="/settings">c</a><a href="//evil.example">d</a>',
        '<img src="http://x/t.png" onerror="x()"><img src="data:image/png;base64,AA">',
        '<span class="modal open">e</span><form><input type="text" name="q"></form>',
      ].join(''),
    );
    for (const bad of [
      '<script',
      'alert(1)',
      'onclick',
      'onerror',
      'style',
      '<iframe',
      'javascript',
      '/settings',
      'evil.example',
      'http://x',
      'data:',
      'modal',
      '<form',
      'name=',
      'type="text"',
    ])
      expect(html).not.toContain(bad);
    expect(html).toContain('<p>hi</p>');
  });

  it('keeps what a card needs: links opened outside, https images, tables, code classes, task lists', () => {
    const html = renderCard(
      [
        '---',
        'license: mit',
        '---',
        '# Title',
        '',
        '[site](https://example.com) [top](#title) ![chart](https://example.com/c.png)',
        '',
        '| a | b |',
        '|:--|--:|',
        '| 1 | 2 |',
        '',
        '```python',
        'print(1)',
        '```',
        '',
        '- [x] done',
        '',
        '<details><summary>More</summary>text</details>',
      ].join('\n'),
    );
    expect(html).not.toContain('license: mit');
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain(
      '<a href="https://example.com" target="_blank" rel="noopener noreferrer nofollow">site</a>',
    );
    expect(html).toContain('href="#title"');
    expect(html).toContain('<img src="https://example.com/c.png" alt="chart" />');
    expect(html).toMatch(/<th align="left">a<\/th>/);
    expect(html).toContain('<code class="language-python">');
    expect(html).toMatch(
      /<input (?=[^>]*checked)(?=[^>]*disabled)(?=[^>]*type="checkbox")[^>]*\/>/,
    );
    expect(html).toContain('<details><summary>More</summary>text</details>');
  });
});
