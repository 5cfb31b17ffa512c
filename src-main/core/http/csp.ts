// The Content-Security-Policy of the UI, the same in a browser (web mode) and in the desktop window:
// scripts only from the UI's own origin, connections only back to it (HTTP and the RPC WebSocket).

/** The UI is served by core on 127.0.0.1; it may talk only to that origin (HTTP and its WebSocket). */
export function contentSecurityPolicy(uiOrigin: string): string {
  const ws = uiOrigin.replace(/^http/, 'ws');
  return [
    "default-src 'none'",
    "script-src 'self'",
    // Svelte sets some styles inline (style: directives); no inline scripts are allowed.
    "style-src 'self' 'unsafe-inline'",
    `connect-src 'self' ${ws}`,
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
