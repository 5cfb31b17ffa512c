// The one sanitization policy for Markdown rendered as HTML (chat answers and model cards): which
// elements, attributes, classes and URLs survive. Data and pure checks; each side applies it with its library.

/** Chat answers come from a model that may have read hostile text; model cards from a repo's author. */
export type MarkdownSource = 'answer' | 'card';

export interface MarkdownPolicy {
  /** Elements kept; others are dropped, their text kept unless they are in dropWithContent. */
  readonly tags: readonly string[];
  /** Dropped elements whose text goes too: code, raw text, or not prose (svg, media, frames). */
  readonly dropWithContent: readonly string[];
  /** Attributes kept, per element. */
  readonly attributes: Readonly<Record<string, readonly string[]>>;
  /** URL schemes each URL attribute accepts; `#fragment` links are also kept. */
  readonly schemes: Readonly<Record<'href' | 'src', readonly string[]>>;
}

const TEXT_TAGS = [
  'p',
  'br',
  'hr',
  'a',
  'em',
  'strong',
  'del',
  's',
  'code',
  'pre',
  'span',
  'blockquote',
  'ul',
  'ol',
  'li',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'sup',
  'sub',
  'details',
  'summary',
  // GFM task lists; always rendered disabled.
  'input',
] as const;

const ATTRIBUTES = {
  a: ['href', 'title'],
  code: ['class'],
  span: ['class'],
  th: ['align'],
  td: ['align'],
  ol: ['start'],
  input: ['type', 'checked', 'disabled'],
  img: ['src', 'alt', 'title', 'width', 'height'],
} as const;

// DOMPurify's default list and sanitize-html's, united so both sides drop the same text.
const DROP_WITH_CONTENT = [
  'script',
  'style',
  'template',
  'noscript',
  'noembed',
  'noframes',
  'plaintext',
  'xmp',
  'textarea',
  'option',
  'select',
  'iframe',
  'object',
  'head',
  'title',
  'audio',
  'video',
  'colgroup',
  'svg',
  'math',
  'annotation-xml',
  'foreignobject',
  'desc',
  'mi',
  'mn',
  'mo',
  'ms',
  'mtext',
  'selectedcontent',
];

const LINK_SCHEMES = ['http', 'https', 'mailto'];

const POLICIES: Record<MarkdownSource, MarkdownPolicy> = {
  // No images in answers: an image is fetched as soon as it is shown, so a URL written by a
  // prompt-injected model could carry the conversation out before anyone reads it.
  answer: {
    tags: TEXT_TAGS,
    dropWithContent: DROP_WITH_CONTENT,
    attributes: ATTRIBUTES,
    schemes: { href: LINK_SCHEMES, src: [] },
  },
  card: {
    tags: [...TEXT_TAGS, 'img'],
    dropWithContent: DROP_WITH_CONTENT,
    attributes: ATTRIBUTES,
    schemes: { href: LINK_SCHEMES, src: ['https'] },
  },
};

export function markdownPolicy(source: MarkdownSource): MarkdownPolicy {
  return POLICIES[source];
}

/**
 * Class names highlight.js and marked write (`hljs-keyword`, `language-ts`, scope suffixes such as
 * `function_`); any other class could dress content up as the app's own UI.
 */
const CLASS = /^(?:hljs(?:-[\w-]+)?|language-[\w-]+|[a-z]+_+)$/;

/** Attributes every kept element of a kind gets, whatever the input said. */
export const FORCED_ATTRIBUTES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // Links leave the app: never in its window, never with a referrer.
  a: { target: '_blank', rel: 'noopener noreferrer nofollow' },
  input: { type: 'checkbox', disabled: '' },
};

/** Browsers ignore these inside a URL, so `java\tscript:` is `javascript:` to them. */
// eslint-disable-next-line no-control-regex
const IGNORED_IN_URL = /[\u0000-\u0020\u007f-\u009f]/g;

function urlAllowed(schemes: readonly string[], value: string): boolean {
  const url = value.replace(IGNORED_IN_URL, '');
  if (url.startsWith('#')) return true;
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  return m !== null && schemes.includes(m[1]!.toLowerCase());
}

/**
 * What an attribute of a kept element becomes: its (possibly filtered) value, or null to drop it.
 * Relative and protocol-relative URLs are dropped: they would resolve against the app itself.
 */
export function sanitizeAttribute(
  policy: MarkdownPolicy,
  tag: string,
  name: string,
  value: string,
): string | null {
  const t = tag.toLowerCase();
  const n = name.toLowerCase();
  const allowed = policy.attributes[t];
  if (!policy.tags.includes(t) || !allowed?.includes(n)) return null;
  if (n === 'href' || n === 'src') return urlAllowed(policy.schemes[n], value) ? value : null;
  if (n === 'class') {
    const kept = value.split(/\s+/).filter((c) => CLASS.test(c));
    return kept.length > 0 ? kept.join(' ') : null;
  }
  return value;
}
