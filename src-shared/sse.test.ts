// SSE parsing across arbitrary chunk boundaries, CRLF framing, comments and a missing final blank line.
import { describe, expect, it } from 'vitest';
import { sseParser } from './sse.ts';

const enc = new TextEncoder();

describe('sseParser', () => {
  it('yields the same events whatever the chunking, including split multi-byte characters', () => {
    const text =
      'event: a\ndata: {"t":"é"}\n\n: comment\n\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n';
    const bytes = enc.encode(text);
    const whole = sseParser().push(bytes);
    expect(whole).toEqual([
      { event: 'a', data: '{"t":"é"}' },
      { data: 'line1\nline2' },
      { data: '[DONE]' },
    ]);
    for (let size = 1; size < 8; size++) {
      const p = sseParser();
      const got = [];
      for (let i = 0; i < bytes.length; i += size) got.push(...p.push(bytes.subarray(i, i + size)));
      got.push(...p.end());
      expect(got).toEqual(whole);
    }
  });

  it('accepts CRLF framing and a final event without its blank line', () => {
    const p = sseParser();
    expect(p.push(enc.encode('data: 1\r\n\r\ndata: 2'))).toEqual([{ data: '1' }]);
    expect(p.end()).toEqual([{ data: '2' }]);
  });
});
