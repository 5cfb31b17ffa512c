// Public surface of the cli area: the command runner (for tests and the bin script) and serve discovery.
export { run, EXIT } from './main.ts';
export { readServeFile, removeServeFile, writeServeFile, type ServeInfo } from './serveFile.ts';
