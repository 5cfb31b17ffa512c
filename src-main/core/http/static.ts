// Serves the built web UI from one folder, never outside it; unknown paths get index.html (SPA).
// Without a build, a small page says how to build the UI instead of a bare 404.
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Orchard</title>
<body style="font-family:system-ui;margin:3rem"><h1>Orchard is running</h1>
<p>The web UI is not built yet. Run <code>npm run build</code>, then reload this page.</p>
<p>The API is available under <code>/v1</code>.</p></body>`;

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export function serveStatic(
  root: string,
  req: IncomingMessage,
  res: ServerResponse,
  csp: string,
): void {
  const index = path.join(root, 'index.html');
  if (!fs.existsSync(index)) {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-security-policy': csp,
      'content-type': 'text/html; charset=utf-8',
    });
    res.end(NOT_BUILT);
    return;
  }
  let rel: string;
  try {
    rel = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    res.writeHead(400).end();
    return;
  }
  const file = path.resolve(root, `.${rel}`);
  const inside = file === root || file.startsWith(root + path.sep);
  const target = inside && fs.existsSync(file) && fs.statSync(file).isFile() ? file : index;
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-security-policy': csp,
    'content-type': TYPES[path.extname(target)] ?? 'application/octet-stream',
    'cache-control': target === index ? 'no-store' : 'public, max-age=3600',
  });
  if (req.method === 'HEAD') res.end();
  else fs.createReadStream(target).pipe(res);
}
