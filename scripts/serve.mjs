#!/usr/bin/env node
// `npm run serve`: the setup, then core headless (sidecar, API, web UI) in this same process.
// One process, so SIGTERM from npm, Docker or launchd reaches the server and it shuts down cleanly.
import { bootstrapOrExit } from './bootstrap.mjs';
import { runCoreInProcess } from './core-in-process.mjs';

bootstrapOrExit('serve');
await runCoreInProcess(['serve', ...process.argv.slice(2)]);
