// Hash routing (#/chat, #/library …): works the same from the web server and inside Electron.
export const PAGES = [
  'Chat',
  'Discover',
  'Downloads',
  'Library',
  'Profiles',
  'Memory',
  'Routing',
  'Logs',
  'Integrations',
  'Settings',
] as const;
export type Page = (typeof PAGES)[number];

export function pageFromHash(hash: string): Page {
  const slug = hash.replace(/^#\/?/, '').split('/')[0]?.toLowerCase() ?? '';
  return PAGES.find((p) => p.toLowerCase() === slug) ?? 'Chat';
}

export class Router {
  page = $state<Page>(pageFromHash(window.location.hash));

  constructor() {
    window.addEventListener('hashchange', () => (this.page = pageFromHash(window.location.hash)));
  }
}
