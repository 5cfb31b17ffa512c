// Text files for the chat: the block the model reads (fence longer than the file's own), the refusals
// of binary, non-UTF-8 and oversized files, and the labels that mark an estimate.
import { describe, expect, it } from 'vitest';
import {
  binaryReason,
  estimateTokens,
  fileBlock,
  MAX_FILE_BYTES,
  readTextFile,
  tokenLabel,
  withFiles,
} from './files.ts';

describe('chat files', () => {
  it('heads the block with the name and fences it in the language of its extension', () => {
    expect(fileBlock('app.py', 'print(1)')).toBe('File: app.py\n```python\nprint(1)\n```');
    expect(fileBlock('NOTES', 'a\n')).toBe('File: NOTES\n```\na\n```');
  });

  it('uses a fence longer than any run of backticks in the file', () => {
    const md = 'Intro\n````js\nx()\n````\n';
    const block = fileBlock('README.md', md);
    expect(block).toBe(`File: README.md\n\`\`\`\`\`markdown\n${md}\`\`\`\`\``);
  });

  it('puts the files before the user text, and leaves a message without files alone', () => {
    const files = [
      { name: 'a.txt', text: 'A' },
      { name: 'b.txt', text: 'B' },
    ];
    expect(withFiles('Compare them', files)).toBe(
      'File: a.txt\n```\nA\n```\n\nFile: b.txt\n```\nB\n```\n\nCompare them',
    );
    expect(withFiles('', files.slice(0, 1))).toBe('File: a.txt\n```\nA\n```');
    expect(withFiles('Hi', [])).toBe('Hi');
    expect(withFiles('Hi')).toBe('Hi');
  });

  it('refuses binary and non-UTF-8 bytes', () => {
    expect(binaryReason(new TextEncoder().encode('fine — ünïcödé'))).toBeNull();
    expect(binaryReason(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 1]))).toMatch(/binary/);
    expect(binaryReason(Uint8Array.from([0x66, 0xff, 0x66]))).toMatch(/not UTF-8/);
  });

  it('reads a text file, drops a byte-order mark, and refuses one over the size limit', async () => {
    const read = await readTextFile(new File(['\uFEFFx = 1\n'], 'x.py', { type: 'text/x-python' }));
    expect(read).toEqual({ name: 'x.py', text: 'x = 1\n', bytes: 9 });
    const big = new File([new Uint8Array(MAX_FILE_BYTES + 1).fill(0x61)], 'big.log');
    await expect(readTextFile(big)).rejects.toThrow(/cannot be attached/);
    const png = new File(
      [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0])],
      'x.bin',
    );
    await expect(readTextFile(png)).rejects.toThrow(/binary/);
  });

  it('labels estimates with ≈', () => {
    expect(estimateTokens('abcdefgh')).toBe(2);
    expect(tokenLabel(1234, false)).toBe('1,234 tokens');
    expect(tokenLabel(1, true)).toBe('≈1 token');
  });
});
