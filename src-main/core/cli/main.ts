// The `orchard` command line: `serve` runs core headless; the other commands talk to a running
// serve instance over RPC, or open the database directly where that is enough (profiles, config).
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { startCore } from '../app/index.ts';
import { createRepos, type Repos } from '../app/stores.ts';
import { loadConfig, type Config } from '../config/index.ts';
import { exportConfig, importConfig } from '../configFile/index.ts';
import { fileCipher, openDatabase, type Database } from '../db/index.ts';
import { CoreError, toErrorPayload } from '../errors/index.ts';
import { GATEWAY_USAGE, runGatewayCommand } from '../gateway/index.ts';
import { profileService } from '../profiles/index.ts';
import type { MemoryStatus } from '#shared/contract/memory.ts';
import { connectRpc, type RpcClient } from '../rpc/index.ts';
import { removeServeFile, requireServe, rpcUrl, writeServeFile } from './serveFile.ts';
import { gb, loadLine } from './loadProgress.ts';
import { MODELS_COMMANDS, MODELS_USAGE, runModelsCommand } from './commands-models.ts';
import { LAUNCH_USAGE, runLaunch } from './launch.ts';
import { ENGINE_USAGE, runEngineCommand } from './commands-engine.ts';
import { RUN_USAGE } from './commands-run.ts';
import { LOGS_USAGE } from './commands-logs.ts';
import { EXIT, stdio, type Io } from './io.ts';
import { QUICK_COMMANDS, runQuick } from './quick.ts';
import { engineFromConfig, formatProgress, withEngine } from '../engine/index.ts';
import { VERSION } from '../app/index.ts';
import type { EngineProgress } from '#shared/contract/engine.ts';

export { EXIT };

export const USAGE = `Usage: orchard <command> [options]

Commands:
  serve                         Run Orchard headless: sidecar, API and web UI on 127.0.0.1
  status                        State of the running instance
  ps                            Loaded models and memory
  load MODEL [--pin] [--ttl S] [--context N] [--draft M]
                                Progress shown; Ctrl-C cancels the load; --draft loads a
                                speculative draft model with it
  unload MODEL
${RUN_USAGE}
${LOGS_USAGE}
  profiles list | show NAME
  config export [--with-secrets] [--out FILE]
  config import FILE
${GATEWAY_USAGE}
${MODELS_USAGE}
${LAUNCH_USAGE}
${ENGINE_USAGE}

Options: --json (machine-readable output), --help`;

function usage(message: string): never {
  throw new CoreError('usage', message);
}

async function withServe<T>(config: Config, fn: (rpc: RpcClient) => Promise<T>): Promise<T> {
  const rpc = await connectRpc(rpcUrl(requireServe(config.serveFile)));
  try {
    return await fn(rpc);
  } finally {
    rpc.close();
  }
}

function withDb<T>(config: Config, fn: (d: { db: Database; repos: Repos }) => T): T {
  const db = openDatabase(config.dbPath, { nativeBinding: config.sqliteBinding });
  try {
    return fn({ db, repos: createRepos(db, fileCipher(config.secretKeyFile)) });
  } finally {
    db.close();
  }
}

async function serve(config: Config, io: Io, json: boolean): Promise<number> {
  // The managed engine is installed, checked and repaired before the sidecar starts from it.
  const engine = engineFromConfig(config, VERSION);
  if (engine.mode === 'managed') {
    const print = (p: EngineProgress): void => io.err(formatProgress(p));
    engine.events.on('progress', print);
    config = withEngine(config, await engine.ensure());
    engine.events.off('progress', print);
  }
  const core = await startCore({ config, http: true, logToStderr: true, engine });
  const web = core.web!;
  writeServeFile(config.serveFile, { pid: process.pid, port: web.port, token: web.token });
  const sidecar = core.supervisor.status();
  if (sidecar.state !== 'ready') {
    io.err(`Warning: the inference sidecar is ${sidecar.state}: ${sidecar.lastError ?? ''}`);
    for (const line of sidecar.stderrTail.slice(-10)) io.err(`  ${line}`);
  }
  if (json) io.out(JSON.stringify({ ui: web.uiUrl, api: web.apiBaseUrl, sidecar: sidecar.state }));
  else io.out(`Orchard is ready: UI ${web.uiUrl} · API ${web.apiBaseUrl}`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      core.logs.main.info('shutting down', { signal });
      void core
        .stop()
        .catch((e: unknown) => io.err(`error while stopping: ${String(e)}`))
        .finally(() => {
          removeServeFile(config.serveFile, process.pid);
          resolve(EXIT.ok);
        });
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
}

export async function run(
  argv: string[],
  io: Io = stdio,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  // Model commands have options of their own (--revision, --author, ...): they parse their arguments themselves.
  const first = argv.findIndex((a) => !a.startsWith('-'));
  const modelsCmd = first >= 0 ? argv[first]! : '';
  // launch passes everything after `--` to the agent, so it parses its own arguments too.
  const own = (a: string[]) => (a.includes('--') ? a.slice(0, a.indexOf('--')) : a);
  if (modelsCmd === 'launch' && !own(argv).includes('--help')) {
    const rest = argv.filter((_, i) => i !== first);
    const json = own(rest).includes('--json');
    try {
      return await runLaunch(rest, { config: loadConfig(env), io, env });
    } catch (e) {
      const p = toErrorPayload(e);
      if (json) io.err(JSON.stringify({ error: p }));
      else io.err(`Error: ${p.message}${p.code === 'usage' ? `\n\n${USAGE}` : ''}`);
      return p.code === 'usage' ? EXIT.usage : EXIT.error;
    }
  }
  // run takes free text (the PROMPT) and logs has options of its own: both parse their arguments.
  if (QUICK_COMMANDS.includes(modelsCmd) && !argv.includes('--help')) {
    const rest = argv.filter((_, i) => i !== first);
    return runQuick(modelsCmd, rest, io, env, () => Promise.resolve(USAGE));
  }
  if ((MODELS_COMMANDS as readonly string[]).includes(modelsCmd) && !argv.includes('--help')) {
    const rest = argv.filter((_, i) => i !== first);
    const json = rest.includes('--json');
    try {
      const code = await runModelsCommand(modelsCmd, rest, {
        config: loadConfig(env),
        io,
        json,
        env,
      });
      return code ?? EXIT.usage;
    } catch (e) {
      const p = toErrorPayload(e);
      if (json) io.err(JSON.stringify({ error: p }));
      else io.err(`Error: ${p.message}`);
      return p.code === 'usage' ? EXIT.usage : EXIT.error;
    }
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        'with-secrets': { type: 'boolean', default: false },
        out: { type: 'string' },
        pin: { type: 'boolean', default: false },
        ttl: { type: 'string' },
        context: { type: 'string' },
        draft: { type: 'string' },
      },
    });
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const {
    values: o,
    positionals: [cmd, ...rest],
  } = parsed;
  if (o.help || !cmd) {
    (o.help ? io.out : io.err)(USAGE);
    return o.help ? EXIT.ok : EXIT.usage;
  }
  const print = (data: unknown, human: () => string): void =>
    io.out(o.json ? JSON.stringify(data, null, 2) : human());
  const num = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) usage(`--${name} must be a positive number`);
    return n;
  };

  try {
    const config = loadConfig(env);
    switch (cmd) {
      case 'serve':
        return await serve(config, io, o.json);
      case 'status':
        await withServe(config, async (rpc) => {
          const s = await rpc.call('app.status');
          print(
            s,
            () =>
              `Orchard ${s.version} · API ${s.apiBaseUrl ?? '-'} · sidecar ${s.sidecar.state}${s.sidecar.lastError ? ` (${s.sidecar.lastError})` : ''}`,
          );
        });
        return EXIT.ok;
      case 'ps':
        await withServe(config, async (rpc) => {
          const mem = await rpc.call('memory.status');
          print(mem, () =>
            [
              `Memory: ${gb(mem.activeBytes)} in use · limit ${gb(mem.limitBytes)} · system ${gb(mem.systemBytes)}`,
              ...(mem.models.length
                ? mem.models.map(
                    (m) =>
                      `  ${m.id}  ${gb(m.footprintBytes)}${m.pinned ? '  pinned' : ''}${m.draftOf?.length ? `  draft of ${m.draftOf.join(', ')}` : ''}`,
                  )
                : ['  (no model loaded)']),
            ].join('\n'),
          );
        });
        return EXIT.ok;
      case 'load':
      case 'unload': {
        const model = rest[0];
        if (!model || rest.length > 1) usage(`${cmd} takes exactly one MODEL`);
        await withServe(config, async (rpc) => {
          if (cmd === 'load') {
            const ttl = num(o.ttl, 'ttl');
            const ctx = num(o.context, 'context');
            // Progress from serve's memory events; Ctrl-C cancels the load (memory is given back).
            let shown = false;
            rpc.onEvent((event, data) => {
              if (event !== 'memoryStatus' || o.json) return;
              const row = (data as MemoryStatus).loads?.find((l) => l.id === model);
              if (!row) return;
              shown = true;
              io.progress?.(loadLine(model, row));
            });
            const unhook = io.onInterrupt?.(() => {
              void rpc.call('models.cancelLoad', { model }).catch(() => {});
            });
            let r;
            try {
              r = await rpc.call('models.load', {
                model,
                pin: o.pin,
                ...(ttl !== undefined ? { ttl_seconds: ttl } : {}),
                ...(ctx !== undefined ? { context_length: ctx } : {}),
                ...(o.draft ? { draft_model: o.draft } : {}),
              });
            } finally {
              unhook?.();
            }
            if (shown) io.progress?.('\n'); // ends the line rewritten in place
            print(r, () => `Loaded ${r.id} (${gb(r.footprintBytes)})`);
          } else {
            const r = await rpc.call('models.unload', { model });
            print(r, () => `Unloaded ${model}`);
          }
        });
        return EXIT.ok;
      }
      case 'profiles': {
        const [sub, name] = rest;
        if (sub === 'list' && rest.length === 1) {
          const list = withDb(config, ({ db }) => profileService(db).list());
          print(list, () =>
            list.length
              ? list.map((p) => `${p.isDefault ? '*' : ' '} ${p.name}  →  ${p.model}`).join('\n')
              : '(no profiles)',
          );
          return EXIT.ok;
        }
        if (sub === 'show' && name && rest.length === 2) {
          const p = withDb(config, ({ db }) => profileService(db).find(name));
          if (!p) throw new CoreError('not_found', `no profile named "${name}"`);
          print(p, () => JSON.stringify(p, null, 2));
          return EXIT.ok;
        }
        return usage('profiles list | profiles show NAME');
      }
      case 'config': {
        const [sub, file] = rest;
        if (sub === 'export' && rest.length === 1) {
          const cfg = withDb(config, ({ repos }) =>
            exportConfig(repos, { withSecrets: o['with-secrets'] }),
          );
          const text = JSON.stringify(cfg, null, 2);
          if (o.out) fs.writeFileSync(o.out, `${text}\n`, { mode: 0o600 });
          else io.out(text);
          return EXIT.ok;
        }
        if (sub === 'import' && file && rest.length === 2) {
          let raw: unknown;
          try {
            raw = JSON.parse(fs.readFileSync(file, 'utf8'));
          } catch (e) {
            throw new CoreError('validation', `cannot read ${file}: ${(e as Error).message}`);
          }
          const counts = withDb(config, ({ db, repos }) => importConfig(db, repos, raw));
          print(
            counts,
            () =>
              `Imported ${counts.profiles} profiles, ${counts.routingRules} routing rules, ${counts.providers} providers` +
              (counts.keysDropped.length
                ? `\nAPI key dropped (base URL moved to another origin; add the key again): ${counts.keysDropped.join(', ')}`
                : ''),
          );
          return EXIT.ok;
        }
        return usage('config export [--with-secrets] [--out FILE] | config import FILE');
      }
      case 'engine':
        return await runEngineCommand(rest[0], rest.slice(1), {
          config,
          version: VERSION,
          json: o.json,
          out: io.out,
          err: io.err,
        });
      case 'keys':
      case 'route':
        withDb(config, ({ db, repos }) =>
          runGatewayCommand(cmd, rest, {
            db,
            repos,
            hubCache: config.hfHubCache,
            json: o.json,
            out: io.out,
          }),
        );
        return EXIT.ok;
      default:
        return usage(`unknown command "${cmd}"`);
    }
  } catch (e) {
    const p = toErrorPayload(e);
    if (o.json) io.err(JSON.stringify({ error: p }));
    else io.err(`Error: ${p.message}`);
    if (p.code === 'usage') {
      if (!o.json) io.err(`\n${USAGE}`);
      return EXIT.usage;
    }
    return EXIT.error;
  }
}

// Run when executed directly (tsx src-main/core/cli/main.ts …), not when imported by tests.
if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('cli/main.ts')) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`Error: ${String(e)}\n`);
      process.exit(EXIT.error);
    },
  );
}
