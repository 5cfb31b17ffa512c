// `orchard launch claude|codex|opencode [--model M] [-- ARGS]`: runs an agent against the running Orchard,
// pointed at it by environment and a temporary config folder, with stdio inherited and its exit code passed on.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, type Config } from '../config/index.ts';
import { CoreError } from '../errors/index.ts';
import { connectRpc } from '../rpc/index.ts';
import {
  AGENTS,
  agentEnv,
  agentSetup,
  KEY_ENV,
  ModelListing,
  pickModel,
  PLACEHOLDER_KEY,
  type AgentName,
} from './launchAgents.ts';
import { readServeFile, type ServeInfo } from './serveFile.ts';

export const LAUNCH_USAGE = `  launch claude|codex|opencode [--model M] [--dry-run] [-- ARGS]
                                Run an agent on this Orchard (its own config untouched)`;

export interface LaunchIo {
  out(s: string): void;
  err(s: string): void;
}

function usage(message: string): never {
  throw new CoreError('usage', message);
}

/** The agent's executable: on PATH first (the user's own install), else this checkout's node_modules/.bin. */
export function findAgentBinary(agent: AgentName, env: NodeJS.ProcessEnv): string | null {
  const dirs = [
    ...(env.PATH ?? '').split(path.delimiter).filter(Boolean),
    path.join(REPO_ROOT, 'node_modules', '.bin'),
  ];
  for (const dir of dirs) {
    const file = path.join(dir, agent);
    try {
      if (fs.statSync(file).isFile()) {
        fs.accessSync(file, fs.constants.X_OK);
        return file;
      }
    } catch {
      // not here
    }
  }
  return null;
}

const rpcUrl = (info: ServeInfo) =>
  `ws://127.0.0.1:${info.port}/rpc?token=${encodeURIComponent(info.token)}`;

async function fetchModels(
  origin: string,
  key: string | null,
): Promise<{ status: number; listing: ModelListing | null }> {
  const res = await fetch(`${origin}/v1/models`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
    signal: AbortSignal.timeout(15_000),
  });
  if (!res.ok) return { status: res.status, listing: null };
  const parsed = ModelListing.safeParse(await res.json());
  if (!parsed.success)
    throw new CoreError('internal', `unexpected /v1/models reply: ${parsed.error.message}`);
  return { status: res.status, listing: parsed.data };
}

/**
 * The key the agent sends: ORCHARD_API_KEY when given; else, when the instance requires one, a key made
 * for this run through serve's RPC and revoked when the agent exits; else a placeholder.
 */
async function resolveKey(
  info: ServeInfo,
  origin: string,
  agent: AgentName,
  env: NodeJS.ProcessEnv,
  mayCreate: boolean,
): Promise<{ key: string; listing: ModelListing; revoke: (() => Promise<void>) | null }> {
  const given = env[KEY_ENV]?.trim() || null;
  const first = await fetchModels(origin, given);
  if (first.listing) return { key: given ?? PLACEHOLDER_KEY, listing: first.listing, revoke: null };
  if (first.status !== 401) throw new CoreError('internal', `GET /v1/models: HTTP ${first.status}`);
  if (given) throw new CoreError('unauthorized', `Orchard refused the key in ${KEY_ENV}`);
  if (!mayCreate)
    throw new CoreError(
      'unauthorized',
      `this Orchard requires an API key: create one (\`orchard keys create NAME\`) and set ${KEY_ENV}`,
    );
  const rpc = await connectRpc(rpcUrl(info));
  let created;
  try {
    created = await rpc.call('apiKeys.create', { name: `orchard launch ${agent} (temporary)` });
  } finally {
    rpc.close();
  }
  const second = await fetchModels(origin, created.key);
  if (!second.listing) throw new CoreError('internal', `GET /v1/models: HTTP ${second.status}`);
  const revoke = async () => {
    const r = await connectRpc(rpcUrl(info));
    try {
      await r.call('apiKeys.revoke', { id: created.id });
    } finally {
      r.close();
    }
  };
  return { key: created.key, listing: second.listing, revoke };
}

/** Runs the agent to its end; resolves with the code to exit with (128+n when a signal ended it). */
function runAgent(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  // `npm run orchard` runs in Orchard's own folder; npm names the folder it was called from in INIT_CWD,
  // and that is the project the agent is meant to work on.
  const cwd = env.npm_lifecycle_event === 'orchard' && env.INIT_CWD ? env.INIT_CWD : process.cwd();
  const child = spawn(bin, args, { stdio: 'inherit', env, cwd });
  // A terminal's Ctrl-C already reaches the agent (same process group); passing it on as well would be a
  // second Ctrl-C, which interactive agents read as "quit". Signals sent to this process alone are passed on.
  const forward = (sig: NodeJS.Signals) => () => {
    if (sig === 'SIGINT' && process.stdin.isTTY) return;
    child.kill(sig);
  };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => {
    const fn = forward(sig);
    process.on(sig, fn);
    return () => process.off(sig, fn);
  });
  return new Promise((resolve, reject) => {
    child.once('error', (e) => {
      for (const off of handlers) off();
      reject(new CoreError('internal', `cannot start ${bin}: ${e.message}`));
    });
    child.once('exit', (code, signal) => {
      for (const off of handlers) off();
      resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
    });
  });
}

export async function runLaunch(
  argv: string[],
  deps: { config: Config; io: LaunchIo; env: NodeJS.ProcessEnv },
): Promise<number> {
  const { config, io, env } = deps;
  const split = argv.indexOf('--');
  const own = split < 0 ? argv : argv.slice(0, split);
  const passThrough = split < 0 ? [] : argv.slice(split + 1);
  let parsed;
  try {
    parsed = parseArgs({
      args: own,
      allowPositionals: true,
      strict: true,
      options: {
        model: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    return usage((e as Error).message);
  }
  const { values: o, positionals } = parsed;
  const agent = positionals[0] as AgentName | undefined;
  if (positionals.length !== 1 || !agent || !AGENTS.includes(agent))
    usage(`launch takes one agent: ${AGENTS.join(', ')}`);
  if (o.model !== undefined && !o.model.trim()) usage('--model needs a name');

  const info = readServeFile(config.serveFile);
  if (!info)
    throw new CoreError(
      'sidecar_unavailable',
      'Orchard is not running (start it with `npm run serve`, or open the app)',
    );
  const origin = `http://127.0.0.1:${info.port}`;
  const bin = findAgentBinary(agent, env);
  if (!bin && !o['dry-run'])
    throw new CoreError(
      'not_found',
      `${agent} is not installed (not on PATH nor in node_modules/.bin); ${INSTALL_HINT[agent]}`,
    );

  const { key, listing, revoke } = await resolveKey(info, origin, agent, env, !o['dry-run']);
  try {
    const picked = pickModel(listing, o.model?.trim());
    if (!picked)
      throw new CoreError(
        'not_found',
        'no local model to run: download one (`orchard pull REPO`) or name one with --model',
      );
    // In the private data folder, not /tmp: Codex will not set up its helper commands under /tmp.
    const parent = path.join(config.dataDir, 'launch');
    fs.mkdirSync(parent, { recursive: true, mode: 0o700 });
    const dir = fs.mkdtempSync(path.join(parent, `${agent}-`));
    try {
      const setup = agentSetup(
        agent,
        { origin, model: picked.model, contextLength: picked.contextLength, apiKey: key },
        { dir, env },
      );
      for (const [name, text] of Object.entries(setup.files))
        fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
      const plan = {
        agent,
        bin,
        model: picked.model,
        contextLength: picked.contextLength,
        baseUrl: origin,
        // A real key never reaches a log or a terminal.
        env: Object.fromEntries(
          Object.entries(setup.env).map(([k, v]) => [
            k,
            v === key && key !== PLACEHOLDER_KEY ? '<key>' : v,
          ]),
        ),
        files: setup.files,
      };
      if (o['dry-run']) {
        io.out(
          o.json
            ? JSON.stringify(plan, null, 2)
            : [
                ...Object.entries(plan.env).map(([k, v]) =>
                  v === null ? `unset ${k}` : `export ${k}=${shellQuote(v)}`,
                ),
                // The folder is removed on return: the files are shown for copying, not kept.
                ...Object.entries(setup.files).map(([n, t]) => `\n# ${n}\n${t}`),
              ].join('\n'),
        );
        return 0;
      }
      // stdout belongs to the agent; the launcher speaks on stderr.
      io.err(
        o.json
          ? JSON.stringify({ launching: plan.agent, model: plan.model, baseUrl: origin })
          : `Launching ${agent} on ${picked.model}${picked.contextLength ? ` (window ${picked.contextLength})` : ''} via ${origin}${revoke ? ' with a temporary API key' : ''}`,
      );
      return await runAgent(bin!, passThrough, agentEnv(env, setup));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await revoke?.().catch((e: unknown) =>
      io.err(`Warning: could not revoke the temporary API key: ${(e as Error).message}`),
    );
  }
}

const INSTALL_HINT: Record<AgentName, string> = {
  claude: 'install it with `npm install -g @anthropic-ai/claude-code`',
  codex: 'install it with `npm install -g @openai/codex`',
  opencode: 'install it with `npm install -g opencode-ai`',
};

function shellQuote(s: string): string {
  return /^[\w./:@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
