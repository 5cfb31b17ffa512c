// Runs the Python inference sidecar: spawn with a per-launch secret, wait for its ready line,
// watch its health, restart it with jittered backoff, give up after a crash loop, stop it cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import readline from 'node:readline';
import { CoreError } from '../errors/index.ts';
import { endOrphan, removePidFile, writePidFile } from './processes.ts';
import type {
  SidecarState,
  SidecarStatus,
  Supervisor,
  SupervisorEvents,
  SupervisorOptions,
} from './supervisorTypes.ts';
import { headerRecord, sidecarHttp } from './transport.ts';

export const DEFAULT_SIDECAR_ARGS = ['-m', 'orchard_sidecar', '--host', '127.0.0.1', '--port', '0'];
const STDERR_TAIL = 40;
const EXIT_REPORT_GRACE_MS = 500;

function abortedWithin(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** Jittered exponential backoff: base·2^(n-1), ±25%, capped. */
export function backoffDelay(
  crashes: number,
  baseMs: number,
  maxMs: number,
  rand = Math.random,
): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, crashes - 1));
  return Math.round(raw * (0.75 + rand() * 0.5));
}

function logLevel(level: unknown): 'error' | 'warn' | 'info' | 'debug' {
  switch (String(level).toLowerCase()) {
    case 'error':
    case 'critical':
      return 'error';
    case 'warn':
    case 'warning':
      return 'warn';
    case 'debug':
      return 'debug';
    default:
      return 'info';
  }
}

export function createSupervisor(opts: SupervisorOptions): Supervisor {
  const o = {
    args: DEFAULT_SIDECAR_ARGS,
    processMarker: 'orchard_sidecar',
    startTimeoutMs: 120_000,
    healthIntervalMs: 5_000,
    healthTimeoutMs: 5_000,
    healthFailures: 3,
    backoffBaseMs: 500,
    backoffMaxMs: 15_000,
    crashLimit: 3,
    crashWindowMs: 5 * 60_000,
    stopGraceMs: 5_000,
    waitReadyMs: 120_000,
    ...opts,
  };
  const log = o.log;
  const events = new EventEmitter<SupervisorEvents>();
  events.setMaxListeners(100);

  let state: SidecarState = 'idle';
  let child: ChildProcess | null = null;
  let port: number | null = null;
  let secret = '';
  let lastError: string | null = null;
  let stderrTail: string[] = [];
  let crashes: number[] = [];
  let stopping = false;
  let generation: AbortController = new AbortController();
  let inFlight = 0;
  const transport = sidecarHttp();
  let startTimer: NodeJS.Timeout | undefined;
  let healthTimer: NodeJS.Timeout | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let orphanChecked = false;

  const status = (): SidecarStatus => ({
    state,
    pid: child?.pid ?? null,
    port,
    recentCrashes: crashes.length,
    inFlight,
    lastError,
    stderrTail: [...stderrTail],
  });

  function setState(next: SidecarState): void {
    state = next;
    log.info('sidecar state', { state: next, pid: child?.pid ?? null, port });
    events.emit('state', status());
  }

  // A hard exit of core must not leave the Python process behind.
  const killOnExit = (): void => {
    if (child?.pid && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };

  function clearTimers(): void {
    clearTimeout(startTimer);
    clearInterval(healthTimer);
    startTimer = healthTimer = undefined;
  }

  function onStdoutLine(line: string, proc: ChildProcess): void {
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      log.info(line, { stream: 'stdout' });
      return;
    }
    if (
      rec.event === 'ready' &&
      typeof rec.port === 'number' &&
      proc === child &&
      state !== 'ready'
    ) {
      port = rec.port;
      clearTimeout(startTimer);
      startHealth(proc);
      setState('ready');
      return;
    }
    const { level, event, ...fields } = rec;
    log.log(logLevel(level), String(event ?? 'log'), fields);
  }

  function onStderrLine(line: string): void {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL) stderrTail.shift();
    log.warn(line, { stream: 'stderr' });
  }

  function startHealth(proc: ChildProcess): void {
    let failures = 0;
    let busy = false;
    healthTimer = setInterval(() => {
      if (busy || proc !== child) return;
      busy = true;
      fetch(`http://127.0.0.1:${port}/health`, {
        headers: { Authorization: `Bearer ${secret}` },
        signal: AbortSignal.timeout(o.healthTimeoutMs),
      })
        .then((r) => {
          void r.body?.cancel();
          if (!r.ok) throw new Error(`HTTP ${r.status}`);
          failures = 0;
        })
        .catch((e: unknown) => {
          failures += 1;
          log.warn('sidecar health check failed', { failures, error: String(e) });
          if (failures >= o.healthFailures && proc === child) {
            lastError = `sidecar stopped answering health checks (${failures} in a row)`;
            proc.kill('SIGKILL');
          }
        })
        .finally(() => {
          busy = false;
        });
    }, o.healthIntervalMs);
    healthTimer.unref();
  }

  function launch(): void {
    secret = crypto.randomBytes(32).toString('hex');
    port = null;
    stderrTail = [];
    generation = new AbortController();
    const proc = spawn(o.python, o.args, {
      cwd: o.cwd,
      env: {
        ...process.env,
        ...o.env,
        ORCHARD_SIDECAR_SECRET: secret,
        HF_HUB_CACHE: o.hfHubCache,
        PYTHONUNBUFFERED: '1',
      },
      // stdin stays an open pipe: the sidecar may treat its EOF as "core is gone".
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child = proc;
    if (proc.pid)
      writePidFile(o.pidFile, { pid: proc.pid, python: o.python, marker: o.processMarker });
    setState('starting');
    readline.createInterface({ input: proc.stdout! }).on('line', (l) => onStdoutLine(l, proc));
    readline.createInterface({ input: proc.stderr! }).on('line', onStderrLine);
    proc.stdin!.on('error', () => {}); // EPIPE when the child is already gone
    proc.on('error', (e) => {
      lastError = `cannot start sidecar: ${e.message}`;
      log.error(lastError);
    });
    startTimer = setTimeout(() => {
      lastError = `sidecar did not become ready within ${o.startTimeoutMs} ms`;
      log.error(lastError);
      proc.kill('SIGKILL');
    }, o.startTimeoutMs);
    proc.on('close', (code, signal) => onExit(proc, code, signal));
  }

  function onExit(proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (proc !== child) return;
    clearTimers();
    child = null;
    port = null;
    transport.close();
    if (proc.pid) removePidFile(o.pidFile, proc.pid);
    generation.abort(
      new CoreError(
        'sidecar_exited',
        'the inference sidecar exited while the request was in flight',
      ),
    );
    if (stopping) {
      setState('stopped');
      return;
    }
    const why = signal ? `killed by ${signal}` : `exited with code ${code}`;
    lastError = lastError ?? `sidecar ${why}`;
    const now = Date.now();
    crashes = [...crashes.filter((t) => now - t < o.crashWindowMs), now];
    log.error('sidecar ended unexpectedly', {
      why,
      recentCrashes: crashes.length,
      stderrTail: stderrTail.slice(-5),
    });
    if (crashes.length >= o.crashLimit) {
      process.off('exit', killOnExit);
      setState('crashed');
      return;
    }
    const delay = backoffDelay(crashes.length, o.backoffBaseMs, o.backoffMaxMs);
    setState('restarting');
    restartTimer = setTimeout(() => {
      lastError = null;
      launch();
    }, delay);
  }

  function waitFor(pred: (s: SidecarState) => boolean, ms: number): Promise<void> {
    if (pred(state)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        events.off('state', on);
        reject(
          new CoreError('sidecar_unavailable', `sidecar not ready after ${ms} ms (state ${state})`),
        );
      }, ms);
      const on = (s: SidecarStatus): void => {
        if (!pred(s.state)) return;
        clearTimeout(timer);
        events.off('state', on);
        resolve();
      };
      events.on('state', on);
    });
  }

  async function start(): Promise<void> {
    if (state === 'ready' || state === 'starting' || state === 'restarting') {
      return waitFor(
        (s) => s === 'ready' || s === 'crashed' || s === 'stopped',
        o.waitReadyMs,
      ).then(check);
    }
    if (!orphanChecked) {
      orphanChecked = true;
      const ended = await endOrphan(o.pidFile);
      if (ended) log.warn('ended a sidecar left over by an earlier run', { pid: ended });
    }
    stopping = false;
    crashes = [];
    lastError = null;
    process.on('exit', killOnExit);
    // launch() sets `starting` at once, so the wait below cannot be satisfied by the `stopped` or
    // `crashed` of an earlier run (a start after stop or after a crash loop).
    launch();
    await waitFor(
      (s) => s === 'ready' || s === 'crashed' || s === 'stopped',
      o.waitReadyMs + o.startTimeoutMs,
    );
    check();
  }

  function check(): void {
    if (state === 'ready') return;
    const tail = stderrTail.slice(-10).join('\n');
    throw new CoreError(
      'sidecar_unavailable',
      `sidecar is ${state}: ${lastError ?? ''}${tail ? `\n${tail}` : ''}`,
    );
  }

  async function stop(): Promise<void> {
    stopping = true;
    clearTimeout(restartTimer);
    clearTimers();
    const proc = child;
    if (proc) {
      const gone = new Promise<void>((r) => proc.once('close', () => r()));
      proc.kill('SIGTERM');
      const grace = setTimeout(() => proc.kill('SIGKILL'), o.stopGraceMs);
      await gone;
      clearTimeout(grace);
    } else if (state !== 'stopped') {
      setState('stopped');
    }
    process.off('exit', killOnExit);
  }

  async function request(path: string, init: RequestInit = {}): Promise<Response> {
    if (state === 'starting' || state === 'restarting') {
      await waitFor((s) => s !== 'starting' && s !== 'restarting', o.waitReadyMs);
    }
    if (state !== 'ready' || port === null) {
      throw new CoreError('sidecar_unavailable', `the inference sidecar is ${state}`);
    }
    const gen = generation;
    const headers = headerRecord(init.headers);
    headers.authorization = `Bearer ${secret}`;
    // A dying child resets its sockets a moment before its exit is reported; wait for that
    // report briefly so the caller learns the real cause (sidecar_exited), not a bare reset.
    const explain = async (e: unknown, fallback: (e: Error) => unknown): Promise<never> => {
      if (init.signal?.aborted) throw e;
      if (!gen.signal.aborted) await abortedWithin(gen.signal, EXIT_REPORT_GRACE_MS);
      if (gen.signal.aborted) throw gen.signal.reason as CoreError;
      throw fallback(e as Error);
    };
    inFlight += 1;
    // The request stays in flight until its body is read to the end (streams last long).
    let open = true;
    const done = (): void => {
      if (open) inFlight -= 1;
      open = false;
    };
    try {
      return await transport.fetch(
        `http://127.0.0.1:${port}${path}`,
        { ...init, headers },
        {
          alsoAbortOn: gen.signal,
          onDone: done,
          mapError: (e) => explain(e, (err) => err).catch((x: unknown) => x),
        },
      );
    } catch (e) {
      done();
      return explain(
        e,
        (err) => new CoreError('sidecar_unavailable', `sidecar request failed: ${err.message}`),
      );
    }
  }

  async function json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const headers = new Headers(init.headers);
    if (init.body !== undefined) headers.set('Content-Type', 'application/json');
    const res = await request(path, { ...init, headers });
    const text = await res.text();
    const body: unknown = text ? JSON.parse(text) : null;
    if (!res.ok) {
      const err = (body as { error?: { message?: string } } | null)?.error;
      throw new CoreError(
        'sidecar_error',
        err?.message ?? `sidecar answered HTTP ${res.status}`,
        body,
      );
    }
    return body as T;
  }

  function endpoint(): { url: string; authorization: string } | null {
    if (state !== 'ready' || port === null) return null;
    return { url: `http://127.0.0.1:${port}`, authorization: `Bearer ${secret}` };
  }

  /** Stops the sidecar and starts it again, from another Python and folder when given (a new engine). */
  async function restart(target?: { python: string; cwd?: string }): Promise<void> {
    await stop();
    if (target) {
      o.python = target.python;
      o.cwd = target.cwd;
    }
    await start();
  }

  return { start, stop, restart, status, events, request, json, endpoint };
}
