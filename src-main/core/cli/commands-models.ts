// CLI commands for models: `pull REPO [--revision R]` (progress bar; Ctrl-C pauses, running it again resumes),
// `ls`, `rm REPO`, `search QUERY`. pull and rm go through a running serve instance (its RPC), so the download
// belongs to serve and survives the CLI; without serve they run core in-process on the same database and cache.
import { parseArgs } from 'node:util';
import { createDownloadsArea } from '../app/downloads.ts';
import type { Config } from '../config/index.ts';
import { fileCipher, openDatabase } from '../db/index.ts';
import { CoreError } from '../errors/index.ts';
import { formatBytes, type DownloadView } from '../downloads/index.ts';
import type { EventPayload } from '#shared/contract/index.ts';
import { libraryStore } from '../library/index.ts';
import { connectRpc, type RpcClient } from '../rpc/index.ts';
import { settingsStore } from '../settings/index.ts';
import { readServeFile, type ServeInfo } from './serveFile.ts';

export const MODELS_USAGE = `  pull REPO [--revision R]      Download a model into the HF cache (Ctrl-C pauses; run again to resume)
  ls                            Local models (HF cache and extra folders)
  rm REPO                       Delete a model from the HF cache
  search QUERY [--author A] [--library L] [--task T] [--sort downloads|likes|trending|recent] [--limit N]`;

export const MODELS_COMMANDS = ['pull', 'ls', 'rm', 'search'] as const;

export interface ModelsIo {
  out(s: string): void;
  err(s: string): void;
  /** Progress line (rewritten in place on a terminal). */
  progress?(s: string): void;
  /** Registers a Ctrl-C handler; returns the unregister function. */
  onInterrupt?(fn: () => void): () => void;
}

function openCore(config: Config, env: NodeJS.ProcessEnv) {
  const db = openDatabase(config.dbPath, { nativeBinding: config.sqliteBinding });
  const { hub, manager, library } = createDownloadsArea({
    config,
    db,
    repos: { settings: settingsStore(db), models: libraryStore(db) },
    cipher: fileCipher(config.secretKeyFile),
    env,
  });
  return { db, hub, manager, library };
}

function bar(v: {
  doneBytes: number;
  totalBytes: number | null;
  speedBps: number;
  etaSeconds: number | null;
  retrying: string | null;
}): string {
  const total = v.totalBytes ?? 0;
  const frac = total > 0 ? Math.min(1, v.doneBytes / total) : 0;
  const width = 30;
  const filled = Math.round(frac * width);
  const eta = v.etaSeconds === null ? '--' : `${Math.ceil(v.etaSeconds)}s`;
  const note = v.retrying ? `  retrying: ${v.retrying}` : '';
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(1)}%  ${formatBytes(v.doneBytes)} / ${formatBytes(total)}  ${formatBytes(v.speedBps)}/s  ETA ${eta}${note}`;
}

const STOPPED: ReadonlyArray<DownloadView['status']> = ['done', 'failed', 'cancelled', 'paused'];

/** pull through serve's RPC: progress from its events, Ctrl-C pauses the download in serve. */
async function pullViaServe(
  info: ServeInfo,
  repo: string,
  revision: string | undefined,
  io: ModelsIo,
  json: boolean,
): Promise<{ view: DownloadView; interrupted: boolean }> {
  const rpc: RpcClient = await connectRpc(
    `ws://127.0.0.1:${info.port}/rpc?token=${encodeURIComponent(info.token)}`,
  );
  try {
    let id: string | null = null;
    let wake: (() => void) | null = null;
    rpc.onEvent((event, data) => {
      const p = data as EventPayload<'downloadProgress'>;
      if (p.id !== id) return;
      if (event === 'downloadProgress' && !json) {
        const remaining = (p.totalBytes ?? 0) - p.doneBytes;
        const speed = p.bytesPerSecond ?? 0;
        io.progress?.(
          bar({
            ...p,
            speedBps: speed,
            etaSeconds: speed > 1 ? remaining / speed : null,
            retrying: null,
          }),
        );
      }
      if (event === 'downloadState') wake?.();
    });
    const started = await rpc.call(
      'downloads.pull',
      revision ? { repoId: repo, revision } : { repoId: repo },
    );
    id = started.id;
    let interrupted = false;
    const unhook = io.onInterrupt?.(() => {
      interrupted = true;
      void rpc.call('downloads.pause', { id: started.id }).catch(() => {});
    });
    try {
      for (;;) {
        const v = await rpc.call('downloads.get', { id: started.id });
        if (STOPPED.includes(v.status)) return { view: v, interrupted };
        // A state event wakes the loop at once; the timer also notices a serve that went away.
        await new Promise<void>((r) => {
          const t = setTimeout(r, 1000);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
      }
    } finally {
      unhook?.();
    }
  } finally {
    rpc.close();
  }
}

const removed = (r: { repoId: string; freedBytes: number }): string =>
  `deleted ${r.repoId}, freed ${formatBytes(r.freedBytes)}`;

function pullResult(
  repo: string,
  v: DownloadView,
  interrupted: boolean,
  io: ModelsIo,
  json: boolean,
): number {
  if (json) io.out(JSON.stringify(v));
  else if (v.status === 'done')
    io.out(`\n${repo} downloaded (${formatBytes(v.totalBytes ?? 0)}) at ${v.commitSha}`);
  else if (v.status === 'paused')
    io.err(`\npaused at ${formatBytes(v.doneBytes)}; run the same command to resume`);
  else io.err(`\n${repo}: ${v.status}${v.error ? `: ${v.error}` : ''}`);
  if (v.status === 'done') return 0;
  return interrupted ? 130 : 1;
}

async function viaServe(
  info: ServeInfo,
  cmd: 'pull' | 'rm',
  repo: string,
  revision: string | undefined,
  io: ModelsIo,
  json: boolean,
): Promise<number> {
  if (cmd === 'pull') {
    const { view, interrupted } = await pullViaServe(info, repo, revision, io, json);
    return pullResult(repo, view, interrupted, io, json);
  }
  const rpc = await connectRpc(
    `ws://127.0.0.1:${info.port}/rpc?token=${encodeURIComponent(info.token)}`,
  );
  try {
    const r = await rpc.call('library.delete', { repoId: repo });
    io.out(json ? JSON.stringify(r) : removed(r));
    return 0;
  } finally {
    rpc.close();
  }
}

/** Runs a models command; returns its exit code, or null when `cmd` is not one of these commands. */
export async function runModelsCommand(
  cmd: string,
  argv: string[],
  ctx: { config: Config; io: ModelsIo; json: boolean; env?: NodeJS.ProcessEnv },
): Promise<number | null> {
  if (!(MODELS_COMMANDS as readonly string[]).includes(cmd)) return null;
  const { config, io, json } = ctx;
  const env = ctx.env ?? process.env;
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        revision: { type: 'string' },
        author: { type: 'string' },
        library: { type: 'string' },
        task: { type: 'string' },
        sort: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (e) {
    throw new CoreError('usage', (e as Error).message);
  }
  const { values, positionals } = parsed;
  if (cmd === 'pull' || cmd === 'rm') {
    if (positionals.length !== 1) throw new CoreError('usage', `usage: orchard ${cmd} REPO`);
    const serving = readServeFile(config.serveFile);
    if (serving) return viaServe(serving, cmd, positionals[0]!, values.revision, io, json);
  }
  const core = openCore(config, env);
  try {
    switch (cmd) {
      case 'pull': {
        const repo = positionals[0]!;
        const started = await core.manager.pull(
          repo,
          values.revision ? { revision: values.revision } : {},
        );
        const off = core.manager.on('progress', (p) => {
          if (p.id === started.id && !json) io.progress?.(bar(p));
        });
        let interrupted = false;
        let pausing: Promise<unknown> = Promise.resolve();
        const unhook = io.onInterrupt?.(() => {
          interrupted = true;
          pausing = core.manager.pause(started.id).catch(() => {});
        });
        const v: DownloadView = await core.manager.wait(started.id);
        await pausing;
        off();
        unhook?.();
        return pullResult(repo, v, interrupted, io, json);
      }
      case 'ls': {
        const list = core.library.list();
        if (json) io.out(JSON.stringify(list));
        else if (list.length === 0) io.out('no local models');
        else {
          for (const m of list) {
            const q = m.quantization ? `${m.quantization.bits}-bit` : '-';
            const used = m.lastUsedAt ? new Date(m.lastUsedAt).toISOString().slice(0, 10) : 'never';
            io.out(
              `${m.repoId.padEnd(48)} ${formatBytes(m.sizeBytes).padStart(9)}  ${m.kind.padEnd(10)} ${q.padEnd(6)} ${(m.modelType ?? '-').padEnd(12)} used ${used}${m.loaded ? '  loaded' : ''}`,
            );
          }
        }
        return 0;
      }
      case 'rm': {
        const r = await core.library.remove(positionals[0]!);
        io.out(json ? JSON.stringify(r) : removed(r));
        return 0;
      }
      case 'search': {
        const sort = values.sort;
        if (sort !== undefined && !['downloads', 'likes', 'trending', 'recent'].includes(sort)) {
          throw new CoreError('usage', `--sort must be downloads, likes, trending or recent`);
        }
        const limit = values.limit === undefined ? 20 : Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100)
          throw new CoreError('usage', '--limit must be 1-100');
        const page = await core.hub.search({
          query: positionals.join(' ') || undefined,
          author: values.author,
          library: values.library,
          task: values.task,
          sort: sort as 'downloads' | 'likes' | 'trending' | 'recent' | undefined,
          pageSize: limit,
        });
        if (json) io.out(JSON.stringify(page));
        else
          for (const m of page.items)
            io.out(
              `${m.id.padEnd(56)} ${String(m.downloads).padStart(10)} dl ${String(m.likes).padStart(6)} likes${m.gated ? '  gated' : ''}`,
            );
        return 0;
      }
    }
    return null;
  } finally {
    await core.manager.close();
    core.db.close();
  }
}
