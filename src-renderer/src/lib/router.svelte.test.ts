// The hash router: which page a location hash names, and the page following hash changes.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pageFromHash, PAGES, Router } from './router.svelte.ts';

describe('pageFromHash', () => {
  it('reads the first segment of the hash, whatever its case and slashes', () => {
    expect(pageFromHash('#/library')).toBe('Library');
    expect(pageFromHash('#logs')).toBe('Logs');
    expect(pageFromHash('#/Downloads/abc?x=1')).toBe('Downloads');
    expect(pageFromHash('#/SETTINGS')).toBe('Settings');
  });

  it('falls back to Chat for an empty or unknown hash', () => {
    expect(pageFromHash('')).toBe('Chat');
    expect(pageFromHash('#/')).toBe('Chat');
    expect(pageFromHash('#/nope')).toBe('Chat');
    expect(pageFromHash('#/librar')).toBe('Chat');
  });

  it('knows every page by its own slug', () => {
    for (const page of PAGES) expect(pageFromHash(`#/${page.toLowerCase()}`)).toBe(page);
  });
});

describe('Router', () => {
  let win: EventTarget & { location: { hash: string } };

  beforeEach(() => {
    win = Object.assign(new EventTarget(), { location: { hash: '#/memory' } });
    vi.stubGlobal('window', win);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('starts on the page the hash names', () => {
    expect(new Router().page).toBe('Memory');
  });

  it('follows hash changes', () => {
    const router = new Router();
    win.location.hash = '#/routing';
    win.dispatchEvent(new Event('hashchange'));
    expect(router.page).toBe('Routing');
    win.location.hash = '#/whatever';
    win.dispatchEvent(new Event('hashchange'));
    expect(router.page).toBe('Chat');
  });
});
