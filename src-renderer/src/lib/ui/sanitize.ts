// HTML from Markdown made safe to show: the shared Markdown policy (#shared/markdownPolicy.ts)
// applied with DOMPurify, one purifier per source so each keeps its own hooks.
import DOMPurify, { type DOMPurify as Purifier } from 'dompurify';
import {
  FORCED_ATTRIBUTES,
  markdownPolicy,
  sanitizeAttribute,
  type MarkdownSource,
} from '#shared/markdownPolicy.ts';

const purifiers = new Map<MarkdownSource, Purifier>();

function purifier(source: MarkdownSource): Purifier {
  let p = purifiers.get(source);
  if (p) return p;
  const policy = markdownPolicy(source);
  p = DOMPurify(window);
  p.addHook('uponSanitizeAttribute', (node, data) => {
    const value = sanitizeAttribute(policy, node.nodeName, data.attrName, data.attrValue);
    if (value === null) data.keepAttr = false;
    else data.attrValue = value;
  });
  p.addHook('afterSanitizeAttributes', (node) => {
    const forced = FORCED_ATTRIBUTES[node.nodeName.toLowerCase()];
    for (const [name, value] of Object.entries(forced ?? {})) node.setAttribute(name, value);
  });
  purifiers.set(source, p);
  return p;
}

export function sanitizeHtml(html: string, source: MarkdownSource): string {
  const policy = markdownPolicy(source);
  return purifier(source).sanitize(html, {
    ALLOWED_TAGS: [...policy.tags],
    ALLOWED_ATTR: [...new Set(Object.values(policy.attributes).flat())],
    FORBID_CONTENTS: [...policy.dropWithContent],
    ALLOW_DATA_ATTR: false,
  });
}
