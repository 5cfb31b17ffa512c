// Security policy of the desktop window: the webPreferences and which URLs may be shown in the
// window (only the UI's own origin; everything else opens in the browser). The CSP is core's.

export function webPreferences(
  preloadPath: string,
  methods: readonly string[],
  events: readonly string[],
) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
    // The sandboxed preload cannot import the contract (zod); it gets the names it may forward here.
    additionalArguments: [
      `--orchard-methods=${methods.join(',')}`,
      `--orchard-events=${events.join(',')}`,
    ],
  };
}

export function sameOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}

/** Links the user may open outside the app (never file:, javascript: or custom schemes). */
export function isExternalLink(url: string): boolean {
  try {
    const p = new URL(url).protocol;
    return p === 'https:' || p === 'http:' || p === 'mailto:';
  } catch {
    return false;
  }
}
