#!/usr/bin/env node
// Builds better-sqlite3 for another runtime's ABI (Electron's, for `npm start`) into a folder of its own,
// leaving node_modules' copy, built for Node and used by the CLI and the tests, untouched.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ELECTRON_HEADERS = 'https://electronjs.org/headers';
const requireFromRoot = createRequire(join(ROOT, 'package.json'));

/** Where the addon for `runtime` `target` (e.g. electron 38.8.6) lives once built. */
export function addonPath({
  into = join(ROOT, 'node_modules', '.orchard-native'),
  runtime,
  target,
  arch = process.arch,
}) {
  return join(into, `${runtime}-${target}-${process.platform}-${arch}`, 'better_sqlite3.node');
}

/** The installed Electron's version, or null without the electron package. */
export function electronVersion() {
  try {
    return JSON.parse(fs.readFileSync(requireFromRoot.resolve('electron/package.json'), 'utf8'))
      .version;
  } catch {
    return null;
  }
}

/**
 * Builds the addon unless it is already there; returns its path. A prebuilt binary is tried first
 * (prebuild-install, from better-sqlite3's releases), then a compile against the runtime's headers.
 * `fromSource` skips the download, as do machines that cannot reach it.
 */
export function ensureAddon({
  into,
  runtime,
  target,
  arch = process.arch,
  fromSource = false,
  log = console.error,
}) {
  const out = addonPath({ into, runtime, target, arch });
  if (fs.existsSync(out)) return out;
  const pkgDir = dirname(requireFromRoot.resolve('better-sqlite3/package.json'));
  // The copy sits under node_modules so that its install script finds prebuild-install there.
  const base = join(ROOT, 'node_modules', '.orchard-native');
  fs.mkdirSync(base, { recursive: true });
  const work = fs.mkdtempSync(join(base, '.build-'));
  try {
    const copy = join(work, 'better-sqlite3');
    fs.cpSync(pkgDir, copy, {
      recursive: true,
      filter: (src) => src !== join(pkgDir, 'build'),
    });
    const env = {
      ...process.env,
      npm_config_runtime: runtime,
      npm_config_target: target,
      npm_config_arch: arch,
      npm_config_target_arch: arch,
      npm_config_build_from_source: fromSource ? 'true' : '',
      PATH: [join(ROOT, 'node_modules', '.bin'), process.env.PATH].join(
        process.platform === 'win32' ? ';' : ':',
      ),
    };
    if (runtime === 'electron') {
      env.npm_config_disturl = ELECTRON_HEADERS;
      // Node's own headers (the bootstrap's nodedir) would build for the wrong ABI.
      delete env.npm_config_nodedir;
      delete env.NPM_CONFIG_NODEDIR;
    } else if (!env.npm_config_nodedir && fs.existsSync('/usr/include/node/node.h')) {
      // Debian's Node ships its headers; node-gyp would otherwise download them.
      env.npm_config_nodedir = '/usr';
    }
    log(`Building better-sqlite3 for ${runtime} ${target} (${arch}); a minute or two, once…`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = spawnSync(npm, ['run', 'install'], {
      cwd: copy,
      env,
      encoding: 'utf8',
      shell: process.platform === 'win32',
    });
    const built = join(copy, 'build', 'Release', 'better_sqlite3.node');
    if (r.status !== 0 || !fs.existsSync(built)) {
      const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').slice(-25).join('\n');
      throw new Error(
        `building better-sqlite3 for ${runtime} ${target} failed (exit ${r.status}):\n${tail}`,
      );
    }
    fs.mkdirSync(dirname(out), { recursive: true });
    // Copied then renamed: an interrupted build never leaves a half-written addon behind.
    const partial = `${out}.${process.pid}.partial`;
    fs.copyFileSync(built, partial);
    fs.renameSync(partial, out);
    return out;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

const USAGE = `usage: node scripts/native-addon.mjs [electron|node] [version] [--into DIR] [--from-source]
Builds better-sqlite3 for that runtime (default: the installed Electron) and prints the addon's path.`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const flag = (name) => {
    const i = args.indexOf(name);
    return i < 0 ? undefined : (args.splice(i, name === '--into' ? 2 : 1)[1] ?? '');
  };
  const into = flag('--into');
  const fromSource = flag('--from-source') !== undefined;
  const [runtime = 'electron', version] = args;
  const target = version ?? (runtime === 'electron' ? electronVersion() : process.versions.node);
  if (!['electron', 'node'].includes(runtime) || !target || into === '') {
    console.error(target ? USAGE : `No electron package is installed; give a version.\n${USAGE}`);
    process.exit(2);
  }
  try {
    console.log(ensureAddon({ into, runtime, target, fromSource }));
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
