// Model cards: Markdown from the repo's README.md rendered with marked, then cut down by the shared
// Markdown policy (#shared/markdownPolicy.ts): no scripts, styles, iframes or handlers; images over https.
import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';
import { FORCED_ATTRIBUTES, markdownPolicy, sanitizeAttribute } from '#shared/markdownPolicy.ts';

const marked = new Marked({ gfm: true, async: false });

/** The README's YAML front matter is Hub metadata, not card text. */
export function stripFrontMatter(md: string): string {
  const m = /^\uFEFF?---\r?\n[\s\S]*?\r?\n---\r?\n?/.exec(md);
  return m ? md.slice(m[0].length) : md;
}

/** The shared Markdown policy (the card's variant) applied with sanitize-html. */
export function sanitizeCardHtml(html: string): string {
  const policy = markdownPolicy('card');
  const allowedAttributes: Record<string, string[]> = {};
  for (const tag of policy.tags) {
    const own = policy.attributes[tag] ?? [];
    allowedAttributes[tag] = [...own, ...Object.keys(FORCED_ATTRIBUTES[tag] ?? {})];
  }
  return sanitizeHtml(html, {
    allowedTags: [...policy.tags],
    allowedAttributes,
    // Schemes are checked by the policy below; these are sanitize-html's own second look.
    allowedSchemes: [...policy.schemes.href],
    allowedSchemesByTag: { img: [...policy.schemes.src] },
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    nonTextTags: [...policy.dropWithContent],
    transformTags: {
      '*': (tagName, attribs) => {
        const kept: sanitizeHtml.Attributes = {};
        for (const [name, value] of Object.entries(attribs)) {
          const v = sanitizeAttribute(policy, tagName, name, value);
          if (v !== null) kept[name] = v;
        }
        return { tagName, attribs: { ...kept, ...FORCED_ATTRIBUTES[tagName] } };
      },
    },
  });
}

export function renderCard(markdown: string): string {
  const html = marked.parse(stripFrontMatter(markdown)) as string;
  return sanitizeCardHtml(html);
}
