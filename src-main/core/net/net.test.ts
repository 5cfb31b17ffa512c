// The request checks every server in core shares: loopback Host names, same-origin Origin headers, and
// the token comparison (equal only for the same bytes, whatever the lengths).
import { describe, expect, it } from 'vitest';
import { hostName, isLoopbackHost, originAllowed, tokensEqual } from './index.ts';

describe('net checks', () => {
  it('loopback hosts only: names, IPv4 127/8 and IPv6 ::1', () => {
    for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.8.9.10', '[::1]', '::1'])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['', 'example.com', '127.0.0.1.evil.com', '10.0.0.1', '0.0.0.0', '[::2]'])
      expect(isLoopbackHost(h), h).toBe(false);
    expect(hostName('127.0.0.1:8080')).toBe('127.0.0.1');
    expect(hostName('[::1]:8080')).toBe('[::1]');
    expect(hostName(undefined)).toBe('');
  });

  it("a browser's Origin must be the server's own address; no Origin is a non-browser client", () => {
    expect(originAllowed(undefined, '127.0.0.1:1234')).toBe(true);
    expect(originAllowed('http://127.0.0.1:1234', '127.0.0.1:1234')).toBe(true);
    expect(originAllowed('http://127.0.0.1:9999', '127.0.0.1:1234')).toBe(false);
    expect(originAllowed('https://127.0.0.1:1234', '127.0.0.1:1234')).toBe(false);
    expect(originAllowed('http://evil.example', '127.0.0.1:1234')).toBe(false);
    expect(originAllowed('null', '127.0.0.1:1234')).toBe(false);
    expect(originAllowed('http://127.0.0.1:1234', undefined)).toBe(false);
  });

  it('tokens compare equal only when identical, and a length mismatch does not throw', () => {
    expect(tokensEqual('s3cret-token', 's3cret-token')).toBe(true);
    expect(tokensEqual('s3cret-token', 's3cret-tokeN')).toBe(false);
    expect(tokensEqual('short', 'a much longer token')).toBe(false);
    expect(tokensEqual('', '')).toBe(true);
    expect(tokensEqual('é', 'e\u0301')).toBe(false);
  });
});
