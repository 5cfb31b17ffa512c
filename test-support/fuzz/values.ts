// Hostile JSON values for the fuzz generators: wrong types, huge and deep values, edge numbers, names that
// collide with Object.prototype. Some are raw JSON text (too deep to build as objects, or not JSON at all).
import type { Rng } from './prng.ts';

/** A string every fuzz prompt carries; it must never reach the database or the log files. */
export const CANARY = 'orchard-fuzz-canary-7Qv3xZ';

/**
 * Raw JSON text spliced in where a placeholder string stood, for values JSON.stringify cannot make: a
 * 200,000-deep array, `NaN`, `1e400`, a key named `__proto__`.
 */
export class Raw {
  constructor(readonly text: string) {}
}

/** Names that resolve to something on Object.prototype (or to a path) when looked up carelessly. */
export const PROTO_NAMES = [
  'constructor',
  '__proto__',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'isPrototypeOf',
];

export const ODD_MODEL_NAMES = [
  ...PROTO_NAMES,
  '',
  ' ',
  '\u0000',
  '../../../../etc/passwd',
  'orchard-fixtures/../random-llama',
  'orchard-fixtures/random-llama\u0000',
  'orchard-fixtures/random-llama ',
  'ORCHARD-FIXTURES/RANDOM-LLAMA',
  '/etc/passwd',
  '/',
  '*',
  'gpt-*',
  '%2e%2e%2f',
  'a/b/c/d',
  '\ud800',
  '🍊'.repeat(40),
  'x'.repeat(1025),
  'nope/missing-model',
];

export const EDGE_NUMBERS: Array<number | Raw> = [
  -1,
  0,
  -0,
  1.5,
  -1e308,
  1e308,
  2 ** 31,
  2 ** 32 + 1,
  2 ** 53 + 2,
  -(2 ** 63),
  Number.MAX_SAFE_INTEGER,
  Number.MIN_VALUE,
  new Raw('1e400'),
  new Raw('-1e400'),
  new Raw('99999999999999999999999999999999'),
  new Raw('NaN'),
  new Raw('Infinity'),
  new Raw('-Infinity'),
  new Raw('0x10'),
  new Raw('01'),
  new Raw('1.'),
  new Raw('.5'),
  new Raw('+1'),
];

export function deepText(rng: Rng): Raw {
  const depth = rng.pick([1_000, 10_000, 100_000, 200_000]);
  switch (rng.int(0, 3)) {
    case 0:
      return new Raw('['.repeat(depth) + ']'.repeat(depth));
    case 1:
      return new Raw('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
    case 2:
      // Unbalanced: never closed.
      return new Raw('['.repeat(depth));
    default:
      return new Raw('[{"x":'.repeat(depth / 10) + 'null' + '}]'.repeat(depth / 10));
  }
}

export function hugeString(rng: Rng, budget: number): string {
  const size = Math.min(
    budget,
    rng.weighted([
      [60, rng.int(10_000, 100_000)],
      [30, rng.int(100_000, 600_000)],
      [10, rng.int(600_000, 2_500_000)],
    ]),
  );
  const unit = rng.pick(['a', 'word ', '🍊', '\\', '"', '\u0000', `${CANARY} `, 'ǅ', '\u202e']);
  return unit.repeat(Math.max(1, Math.floor(size / unit.length)));
}

/** A value of some type, often not the one a field expects. */
export function anyValue(rng: Rng, budget: number, depth = 0): unknown {
  const kind = rng.int(0, depth > 2 ? 9 : 13);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick(EDGE_NUMBERS);
    case 3:
      return rng.int(-5, 5);
    case 4:
      return '';
    case 5:
      return rng.pick(['x', '1', 'true', 'null', '{}', '[]', CANARY, 'Ω≈ç√', '\r\n', '\u0000']);
    case 6:
      return rng.pick(PROTO_NAMES);
    case 7:
      return rng.chance(0.15) ? hugeString(rng, budget) : 'y'.repeat(rng.int(1, 300));
    case 8:
      return [];
    case 9:
      return {};
    case 10:
      return Array.from({ length: rng.int(1, 4) }, () => anyValue(rng, budget, depth + 1));
    case 11: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(1, 3); i > 0; i--)
        o[rng.pick(['type', 'text', 'role', 'x', 'function', 'name', ...PROTO_NAMES.slice(2)])] =
          anyValue(rng, budget, depth + 1);
      return o;
    }
    case 12:
      return deepText(rng);
    default:
      return Array.from({ length: rng.pick([1_000, 20_000]) }, (_, i) => i);
  }
}

/** A value surely not of `type` (as a JSON type name). */
export function wrongTypeFor(rng: Rng, value: unknown, budget: number): unknown {
  const t = jsonType(value);
  for (let i = 0; i < 20; i++) {
    const v = anyValue(rng, budget);
    if (jsonType(v) !== t) return v;
  }
  return t === 'string' ? 42 : 'not-the-right-type';
}

function jsonType(v: unknown): string {
  if (v instanceof Raw) return 'raw';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * JSON text of `value`, with every Raw spliced in as written. Placeholders are strings JSON.stringify
 * leaves alone, replaced afterwards.
 */
export function toJsonText(value: unknown): string {
  const raws: Raw[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Raw) {
      raws.push(v);
      return `\u0001RAW${raws.length - 1}\u0001`;
    }
    return v;
  });
  if (raws.length === 0) return text;
  // JSON.stringify escapes U+0001 as \u0001, so the placeholder appears in that escaped form.
  return text.replace(/"\\u0001RAW(\d+)\\u0001"/g, (_m, i: string) => raws[Number(i)]!.text);
}
