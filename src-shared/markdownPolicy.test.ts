// The Markdown policy's decisions: which attributes and URLs survive, per source, whatever library applies them.
import { describe, expect, it } from 'vitest';
import { FORCED_ATTRIBUTES, markdownPolicy, sanitizeAttribute } from './markdownPolicy.ts';

const answer = markdownPolicy('answer');
const card = markdownPolicy('card');

describe('markdownPolicy', () => {
  it('keeps links to web and mail addresses and to fragments, nothing else', () => {
    for (const ok of ['https://example.com/a?b#c', 'http://x', 'MAILTO:a@b.c', '#section'])
      expect(sanitizeAttribute(answer, 'A', 'href', ok)).toBe(ok);
    for (const bad of [
      'javascript:alert(1)',
      'java\tscript:alert(1)',
      ' \u0000javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,<script>1</script>',
      'vbscript:x',
      'file:///etc/passwd',
      '//evil.example/x',
      '/relative/path',
      'README.md',
    ])
      expect(sanitizeAttribute(answer, 'a', 'href', bad)).toBeNull();
  });

  it('shows images only in model cards, and only over https', () => {
    expect(answer.tags).not.toContain('img');
    expect(sanitizeAttribute(answer, 'img', 'src', 'https://x/t.png')).toBeNull();
    expect(card.tags).toContain('img');
    expect(sanitizeAttribute(card, 'img', 'src', 'https://x/t.png')).toBe('https://x/t.png');
    for (const bad of ['http://x/t.png', 'data:image/png;base64,AAAA', '//x/t.png', 't.png'])
      expect(sanitizeAttribute(card, 'img', 'src', bad)).toBeNull();
  });

  it('drops event handlers, styles and attributes an element does not own', () => {
    expect(sanitizeAttribute(card, 'img', 'onerror', 'alert(1)')).toBeNull();
    expect(sanitizeAttribute(answer, 'p', 'style', 'position:fixed')).toBeNull();
    expect(sanitizeAttribute(answer, 'p', 'class', 'hljs')).toBeNull();
    expect(sanitizeAttribute(answer, 'a', 'src', 'https://x')).toBeNull();
    expect(sanitizeAttribute(answer, 'script', 'src', 'https://x')).toBeNull();
    expect(sanitizeAttribute(answer, 'th', 'align', 'left')).toBe('left');
    expect(sanitizeAttribute(answer, 'ol', 'start', '3')).toBe('3');
  });

  it("keeps only highlighter and language classes, so content cannot wear the app's own", () => {
    expect(sanitizeAttribute(answer, 'span', 'class', 'hljs-title function_')).toBe(
      'hljs-title function_',
    );
    expect(sanitizeAttribute(answer, 'code', 'class', 'hljs language-ts modal open')).toBe(
      'hljs language-ts',
    );
    expect(sanitizeAttribute(answer, 'span', 'class', 'toast error')).toBeNull();
  });

  it('forces links out of the app and task-list boxes to be inert', () => {
    expect(FORCED_ATTRIBUTES.a).toEqual({ target: '_blank', rel: 'noopener noreferrer nofollow' });
    expect(FORCED_ATTRIBUTES.input).toEqual({ type: 'checkbox', disabled: '' });
  });
});
