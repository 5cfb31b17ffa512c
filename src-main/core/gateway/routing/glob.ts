// A tiny glob matcher for routing rules: `*` (any run, also empty) and `?` (one character), nothing else.
// Linear-backtracking two-pointer walk: O(len(name) * len(pattern)) worst case, no regex, so no ReDoS.

/** True when `name` matches `pattern` entirely. Every character but `*` and `?` is literal. */
export function globMatch(pattern: string, name: string): boolean {
  const p = Array.from(pattern);
  const s = Array.from(name);
  let pi = 0;
  let si = 0;
  // Where the last `*` was seen and which name position it currently swallows up to.
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === s[si]))) {
      pi++;
      si++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = si;
    } else if (star !== -1) {
      // Let the last star swallow one more character and retry from there.
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** A pattern with no wildcard names exactly one model; such names are listed in /v1/models. */
export function isLiteralPattern(pattern: string): boolean {
  return !pattern.includes('*') && !pattern.includes('?');
}
