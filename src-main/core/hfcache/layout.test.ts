// The HF cache layout's path rules: names from the Hub and from callers checked by shape, and every computed path
// kept inside its part of the cache whatever value reaches it.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assertRepoId,
  assertRevision,
  assertSafeRelative,
  isBlobId,
  isCommitSha,
  repoCache,
  repoIdFromFolder,
} from './index.ts';

const ROOT = path.join(path.sep, 'cache');
const SHA1 = '0123456789abcdef0123456789abcdef01234567';
const SHA256 = 'ab'.repeat(32);

describe('repoCache', () => {
  const c = repoCache(ROOT, 'org/name');

  it('builds the paths huggingface_hub uses', () => {
    const root = path.join(ROOT, 'models--org--name');
    expect(c.root).toBe(root);
    expect(c.blob(SHA256)).toBe(path.join(root, 'blobs', SHA256));
    expect(c.incomplete(SHA1)).toBe(path.join(root, 'blobs', `${SHA1}.incomplete`));
    expect(c.snapshot(SHA1)).toBe(path.join(root, 'snapshots', SHA1));
    expect(c.pointer(SHA1, 'a/b.json')).toBe(path.join(root, 'snapshots', SHA1, 'a', 'b.json'));
    expect(c.ref('refs/pr/1')).toBe(path.join(root, 'refs', 'refs', 'pr', '1'));
    expect(c.tree(SHA1)).toBe(path.join(root, 'trees', `${SHA1}.json`));
  });

  it.each([
    ['blob', () => c.blob('../../../x')],
    ['blob', () => c.blob('')],
    ['blob', () => c.blob('..')],
    ['incomplete', () => c.incomplete('../../../x')],
    ['snapshot', () => c.snapshot('..')],
    ['snapshot', () => c.snapshot('../../x')],
    ['snapshot', () => c.pointer('../../../x', 'config.json')],
    ['ref', () => c.ref('../../../x')],
    ['ref', () => c.ref('..')],
    ['tree', () => c.tree('../../../x')],
  ])('refuses a %s path outside its folder', (_what, build) => {
    expect(build).toThrow(/outside the HF cache/);
    try {
      build();
    } catch (e) {
      expect(e).toMatchObject({ name: 'CoreError', code: 'validation' });
    }
  });
});

describe('names', () => {
  it('commit shas are 40 lowercase hex digits; blob ids a git sha1 or a sha256', () => {
    expect(isCommitSha(SHA1)).toBe(true);
    for (const bad of ['', '..', 'main', SHA1.toUpperCase(), `${SHA1}0`, SHA256, `../${SHA1}`, 7])
      expect(isCommitSha(bad), String(bad)).toBe(false);
    expect(isBlobId(SHA1)).toBe(true);
    expect(isBlobId(SHA256)).toBe(true);
    for (const bad of ['', '../../x', `${SHA1}/x`, SHA256.toUpperCase(), SHA1.slice(1), null])
      expect(isBlobId(bad), String(bad)).toBe(false);
  });

  it('revisions: branch, tag, pr ref or commit; never an empty, dot or dot-dot segment', () => {
    for (const ok of ['main', 'v1.0', 'refs/pr/12', 'release/2025-01', SHA1]) assertRevision(ok);
    for (const bad of [
      '',
      '..',
      '.',
      'a/../b',
      '../main',
      'a//b',
      '/main',
      'main/',
      '.hidden',
      'a b',
    ])
      expect(() => assertRevision(bad), bad).toThrow(/not a valid revision/);
    expect(() => assertRevision('x'.repeat(201))).toThrow(/not a valid revision/);
  });

  it('repo file paths: relative, no empty, dot or dot-dot segment, no backslash, no NUL', () => {
    for (const ok of ['config.json', 'a/b/c.safetensors', '.gitattributes', 'a/.hidden'])
      assertSafeRelative(ok);
    for (const bad of [
      '',
      '..',
      '../x',
      'a/../b',
      'a/..',
      './a',
      'a//b',
      'a/',
      '/a',
      'a\\b',
      'a\0',
    ])
      expect(() => assertSafeRelative(bad), bad).toThrow(/unsafe file path/);
  });

  it('repo ids: org/name as the Hub allows them, so each names exactly one cache folder', () => {
    for (const ok of ['org/name', 'mlx-community/Llama-3.2-1B-Instruct-4bit', 'a_b/c.d'])
      assertRepoId(ok);
    for (const bad of [
      '',
      'org',
      'a/b/c',
      '../x',
      '../../etc',
      'a/..',
      'a--b/c',
      'a/b--c',
      'a/b\0',
    ])
      expect(() => assertRepoId(bad), bad).toThrow(/not a model repo id/);
  });

  it('folder names map back to repo ids only when they name one', () => {
    expect(repoIdFromFolder('models--org--name')).toBe('org/name');
    expect(repoIdFromFolder('models--mlx-community--Qwen3-0.6B-4bit')).toBe(
      'mlx-community/Qwen3-0.6B-4bit',
    );
    for (const bad of [
      'models--a--b--c',
      'models--gpt2',
      'datasets--a--b',
      'models--..--x',
      'org--name',
    ])
      expect(repoIdFromFolder(bad), bad).toBeNull();
  });
});
