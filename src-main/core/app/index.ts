// Composition root of core: logger, database, supervisor, RPC and (optionally) the HTTP server.
// The Electron shell, `serve`, the CLI and tests all start Orchard through startCore.
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { ensurePrivateDir, type Config } from '../config/index.ts';
import { tokensEqual } from '../net/index.ts';
import { fileCipher, openDatabase, type Cipher, type Database } from '../db/index.ts';
import {
  apiKeys,
  createGateway,
  sidecarModelLister,
  type Gateway,
  type Router,
} from '../gateway/index.ts';
import { startHttpServer, type HttpServer } from '../http/index.ts';
import { createLogs, type Logs } from '../log/index.ts';
import {
  applyMemoryLimit,
  loadedModels,
  MEMORY_LIMIT_SETTING,
  memoryStatus,
  preloadPinned,
  startMemoryMonitor,
} from '../memory/index.ts';
import { mcpService, type McpService } from '../mcp/index.ts';
import { profileService, type ProfileService } from '../profiles/index.ts';
import type { EventName, EventPayload } from '#shared/contract/index.ts';
import { MemoryLimit } from '#shared/contract/memory.ts';
import {
  createDispatcher,
  createRpcServer,
  type Dispatcher,
  type RpcServer,
} from '../rpc/index.ts';
import {
  createSupervisor,
  sidecarAdmin,
  type Supervisor,
  type SupervisorOptions,
} from '../sidecar/index.ts';
import { engineFromConfig, withEngine, type EngineService } from '../engine/index.ts';
import { createHandlers } from './handlers.ts';
import { createDownloadsArea, type DownloadsArea } from './downloads.ts';
import { ollamaServices } from './ollama.ts';
import { createRepos, type Repos } from './stores.ts';
import { toProgressEvent, toStateEvent } from '../downloads/index.ts';
import { serverAddress, settingsService } from '../settings/index.ts';

export const VERSION = '0.1.0';

export interface CoreOptions {
  config: Config;
  /** Serve /v1, /rpc and the UI over HTTP (web mode, `serve`). */
  http?: boolean;
  /** Start the sidecar (default true). */
  sidecar?: boolean;
  /** Overrides for the supervisor (tests: timeouts; a different interpreter). */
  supervisor?: Partial<SupervisorOptions>;
  cipher?: Cipher;
  logToStderr?: boolean;
  memoryPollMs?: number;
  /** Overrides for the download manager (tests: fast retries). */
  downloads?: Partial<import('../downloads/index.ts').DownloadManagerOptions>;
  /** The engine the sidecar runs from (serve passes the one it installed); default: the config's. */
  engine?: EngineService;
}

export interface Core {
  config: Config;
  logs: Logs;
  db: Database;
  repos: Repos;
  profiles: ProfileService;
  supervisor: Supervisor;
  dispatcher: Dispatcher;
  router: Pick<Router, 'handle'>;
  /** The local API gateway (keys, routing, providers, audit). */
  gateway: Gateway;
  /** Typed core events (the RPC event streams); the Electron shell forwards them over IPC. */
  events: EventEmitter;
  emit<E extends EventName>(event: E, data: EventPayload<E>): void;
  /** Hub client, download manager and library. */
  downloads: DownloadsArea;
  /** MCP servers (tools in chat); stopped with core. */
  mcp: McpService;
  /** Set when `http` was requested. */
  web: { port: number; token: string; uiUrl: string; apiBaseUrl: string } | null;
  stop(): Promise<void>;
}

export async function startCore(opts: CoreOptions): Promise<Core> {
  const { config } = opts;
  ensurePrivateDir(config.dataDir);
  const logs = createLogs({ dir: config.logDir, stderr: opts.logToStderr });
  const events = new EventEmitter();
  let rpc: RpcServer | null = null;
  const emit = <E extends EventName>(event: E, data: EventPayload<E>): void => {
    events.emit(event, data);
    rpc?.broadcast(event, data);
  };

  const notices: Array<EventPayload<'notice'>> = [];
  const db = openDatabase(config.dbPath, {
    nativeBinding: config.sqliteBinding,
    onCorrupt: (e) => {
      const message = `The database was damaged (${e.reason}). It was moved to ${e.movedTo} and a new one was created.`;
      logs.main.error('corrupt database moved aside', {
        path: e.path,
        movedTo: e.movedTo,
        reason: e.reason,
      });
      notices.push({ level: 'error', message });
    },
  });
  const cipher = opts.cipher ?? fileCipher(config.secretKeyFile);
  const repos = createRepos(db, cipher);
  const profiles = profileService(db);
  // ORCHARD_HOST/ORCHARD_PORT, else what the Settings screen saved, else 127.0.0.1:8765.
  const address = serverAddress(config, repos.settings);

  const engine = opts.engine ?? engineFromConfig(config, VERSION);
  engine.events.on('progress', (p) => emit('engineProgress', p));
  const supervisor = createSupervisor({
    python: config.sidecar.python,
    cwd: config.sidecar.cwd,
    hfHubCache: config.hfHubCache,
    pidFile: config.sidecarPidFile,
    // The sidecar keeps its prefix cache on disk with the app's data (kv_store.py), so it survives restarts.
    env: { ORCHARD_KV_DIR: path.join(config.dataDir, 'kv') },
    log: logs.sidecar,
    ...opts.supervisor,
  });
  supervisor.events.on('state', (s) => emit('sidecarState', s));
  engine.events.on('run', (s) => emit('engineStatus', s));
  // An install or repair from the engine screen moves the sidecar onto the new engine once it was
  // verified and switched in, from the same Python and folder serve starts it from (withEngine).
  engine.onSwitched(async (e) => {
    if (opts.sidecar === false) return false;
    await supervisor.restart(withEngine(config, e).sidecar);
    return true;
  });
  // Every memory status (polls, loads, unloads, limit changes) keeps the library's loaded state current.
  const loaded = loadedModels(supervisor);
  events.on('memoryStatus', loaded.update);
  const memoryChanged = async (): Promise<void> => {
    if (supervisor.status().state !== 'ready') return;
    monitor.changed();
    try {
      emit('memoryStatus', await memoryStatus(supervisor));
    } catch (e) {
      logs.main.debug('memory status after a change failed', { error: String(e) });
    }
  };

  const downloads = createDownloadsArea({
    config,
    db,
    repos,
    cipher,
    log: logs.downloads,
    sidecar: supervisor,
    loaded,
    manager: opts.downloads,
  });
  downloads.manager.on('progress', (p) => emit('downloadProgress', toProgressEvent(p)));
  downloads.manager.on('state', (s) => emit('downloadState', toStateEvent(s)));

  const mcp = mcpService({
    store: repos.mcp,
    version: VERSION,
    log: logs.main,
    onState: (s) => emit('mcpServerState', s),
  });

  let web: Core['web'] = null;
  const dispatcher = createDispatcher(
    createHandlers({
      version: VERSION,
      dataDir: config.dataDir,
      apiBaseUrl: () => web?.apiBaseUrl ?? null,
      db,
      repos,
      profiles,
      sup: supervisor,
      notices: () => notices,
      settingsArea: {
        settings: settingsService({
          store: repos.settings,
          cipher,
          defaults: { host: config.host ?? '127.0.0.1', port: config.port },
          running: () => ({ host: address.host, port: web?.port ?? null }),
          activeKeys: () => apiKeys(db).activeCount(),
        }),
        keys: apiKeys(db),
        logDir: config.logDir,
      },
      gateway: () => gateway,
      downloads: downloads.handlers,
      engine,
      memoryChanged,
      onMemoryStatus: (s) => {
        monitor.changed();
        emit('memoryStatus', s);
      },
      loadStarted: () => monitor.loadStarted(),
      mcp,
    }),
  );
  let uiToken: string | null = null;
  const { host } = address;
  const gateway = createGateway({
    db,
    repos,
    local: supervisor,
    localModels: sidecarModelLister(supervisor),
    adminModels: async () => (await sidecarAdmin(supervisor).models()).data,
    ollama: ollamaServices({
      downloads,
      settings: repos.settings,
      profiles,
      sidecar: supervisor,
    }),
    log: logs.gateway,
    host,
    // The playground in the web UI goes through the same gateway with its per-launch token.
    isInternalToken: (t) => uiToken !== null && tokensEqual(t, uiToken),
  });
  const router = gateway;

  let server: HttpServer | null = null;
  if (opts.http) {
    const token = crypto.randomBytes(24).toString('base64url');
    uiToken = token;
    // A LAN binding without any API key is refused here, before anything listens.
    try {
      gateway.assertExposure(host);
    } catch (e) {
      gateway.close();
      db.close();
      await logs.close();
      throw e;
    }
    rpc = createRpcServer({ path: '/rpc', token, dispatcher, log: logs.main });
    server = await startHttpServer({
      host,
      port: address.port,
      rendererDir: config.rendererDir,
      router,
      rpc,
      log: logs.main,
    });
    const base = `http://127.0.0.1:${server.port}`;
    web = { port: server.port, token, uiUrl: `${base}/?token=${token}`, apiBaseUrl: `${base}/v1` };
  }
  for (const n of notices) emit('notice', n);

  // Once the sidecar is ready (first start and every restart): apply the memory limit, preload pins.
  const onReady = (): void => {
    const stored = MemoryLimit.safeParse(repos.settings.get(MEMORY_LIMIT_SETTING));
    void (async () => {
      if (stored.success) {
        await applyMemoryLimit(supervisor, stored.data)
          .then((s) => emit('memoryStatus', s))
          .catch((e: unknown) =>
            logs.main.warn('could not apply the memory limit', { error: String(e) }),
          );
      }
      await preloadPinned(supervisor, profiles.list(), logs.main);
    })();
  };
  supervisor.events.on('state', (s) => {
    if (s.state === 'ready') onReady();
  });
  const monitor = startMemoryMonitor({
    sup: supervisor,
    intervalMs: opts.memoryPollMs ?? 2000,
    onStatus: (s) => emit('memoryStatus', s),
    log: logs.main,
  });

  // Downloads a crash or kill interrupted carry on by themselves, without waiting for the sidecar.
  const resumed = downloads.manager.start();
  if (resumed.length) logs.downloads.info('resuming interrupted downloads', { ids: resumed });

  if (opts.sidecar !== false) {
    await supervisor.start().catch((e: unknown) => {
      logs.main.error('the inference sidecar did not start', { error: String(e) });
    });
  }

  let stopped = false;
  return {
    config,
    logs,
    db,
    repos,
    profiles,
    supervisor,
    dispatcher,
    router,
    gateway,
    downloads,
    mcp,
    events,
    emit,
    web,
    async stop() {
      if (stopped) return;
      stopped = true;
      monitor.stop();
      rpc?.close();
      await server?.close();
      // Jobs stop with their status left as it is, so the next start resumes them.
      await downloads.manager.close();
      await mcp.close();
      await supervisor.stop();
      gateway.close(); // flushes the buffered audit rows
      db.close();
      logs.main.info('core stopped');
      await logs.close();
    },
  };
}
