import { describe, expect, it } from 'vitest';
import { fitted, imageFiles, userContent } from './images.ts';

describe('chat images', () => {
  it('keeps text alone as a string and puts images after the text as image_url parts', () => {
    expect(userContent('hi')).toBe('hi');
    expect(userContent('hi', [])).toBe('hi');
    const url = 'data:image/png;base64,AA==';
    expect(userContent('what is it?', [{ url, name: 'a.png' }])).toEqual([
      { type: 'text', text: 'what is it?' },
      { type: 'image_url', image_url: { url } },
    ]);
    expect(userContent('', [{ url, name: 'a.png' }])).toEqual([
      { type: 'image_url', image_url: { url } },
    ]);
  });

  it('scales the longer side down to the limit and never up', () => {
    expect(fitted(4000, 2000)).toEqual([1024, 512]);
    expect(fitted(300, 900, 600)).toEqual([200, 600]);
    expect(fitted(40, 30)).toEqual([40, 30]);
  });

  it('takes only image files from a pick, paste or drop', () => {
    const f = (name: string, type: string) => new File(['x'], name, { type });
    const picked = imageFiles([
      f('a.png', 'image/png'),
      f('b.txt', 'text/plain'),
      f('c.webp', 'image/webp'),
    ]);
    expect(picked.map((x) => x.name)).toEqual(['a.png', 'c.webp']);
    expect(imageFiles(null)).toEqual([]);
  });
});
