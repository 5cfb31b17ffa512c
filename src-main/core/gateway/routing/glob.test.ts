// The routing glob: exact names, `*` and `?`, literal metacharacters, and no blow-up on hostile input.
import { describe, expect, it } from 'vitest';
import { globMatch, isLiteralPattern } from './glob.ts';

describe('globMatch', () => {
  const cases: Array<[string, string, boolean]> = [
    ['gpt-4o', 'gpt-4o', true],
    ['gpt-4o', 'gpt-4o-mini', false],
    ['gpt-*', 'gpt-4o-mini', true],
    ['gpt-*', 'gpt-', true],
    ['gpt-*', 'gp', false],
    ['*', '', true],
    ['', '', true],
    ['', 'a', false],
    ['?', '', false],
    ['?', 'a', true],
    ['claude-?-sonnet', 'claude-3-sonnet', true],
    ['claude-?-sonnet', 'claude-35-sonnet', false],
    ['*/Qwen*-4bit', 'mlx-community/Qwen3-0.6B-4bit', true],
    ['*/Qwen*-4bit', 'mlx-community/Qwen3-0.6B-8bit', false],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'aXbYbZ', false],
    ['*a', 'bbbba', true],
    ['a.c', 'abc', false], // a dot is literal, not a regex wildcard
    ['(x+)+$', '(x+)+$', true], // regex syntax means nothing here
    ['[ab]', 'a', false],
    ['é?', 'éü', true], // characters, not UTF-16 units
  ];
  for (const [pattern, name, want] of cases) {
    it(`${JSON.stringify(pattern)} vs ${JSON.stringify(name)} → ${want}`, () => {
      expect(globMatch(pattern, name)).toBe(want);
    });
  }

  it('answers a pathological pattern on a long name (the classic ReDoS shape) and still matches correctly', () => {
    const pattern = '*a*a*a*a*a*a*a*a*a*a*a*a*b';
    const name = 'a'.repeat(20_000);
    expect(globMatch(pattern, name)).toBe(false);
    expect(globMatch(pattern, name + 'b')).toBe(true);
  });

  it('knows literal patterns', () => {
    expect(isLiteralPattern('org/model')).toBe(true);
    expect(isLiteralPattern('org/*')).toBe(false);
    expect(isLiteralPattern('m?')).toBe(false);
  });
});
