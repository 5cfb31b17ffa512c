// Ollama's keep_alive and num_ctx on the sidecar: before a request the model is loaded (or its options
// re-armed) with the idle TTL and window asked for; keep_alive 0 unloads it once the request is over.
import { performance } from 'node:perf_hooks';
import type { ProfileParams } from '#shared/contract/profiles.ts';
import type { Logger } from '../../log/index.ts';
import { loadOptions } from '../../profiles/index.ts';
import type { AdminModelRow, LoadRequest, SidecarAdmin } from '../../sidecar/index.ts';

export type ModelAdmin = Pick<SidecarAdmin, 'models' | 'load' | 'unload'>;

/** The local model a name ends at, with the profile it was named through (its load options apply). */
export interface LocalTarget {
  id: string;
  profile: { model: string; params: Record<string, unknown> } | null;
}

export interface Residency {
  /** keep_alive in seconds: null keeps the model loaded, 0 unloads it after the request. */
  keepAlive: number | null | undefined;
  /** The window to load with; ignored for a model already loaded (it would need a reload). */
  numCtx: number | undefined;
}

async function row(admin: ModelAdmin, id: string): Promise<AdminModelRow | undefined> {
  return (await admin.models()).data.find((r) => r.id === id);
}

/** What the model is loaded with now, else its profile's load options, else nothing but its id. */
function baseLoad(target: LocalTarget, loaded: AdminModelRow | null): LoadRequest {
  if (loaded?.loaded)
    return {
      model: target.id,
      pin: loaded.pinned,
      ...(loaded.ttl_seconds !== null ? { ttl_seconds: loaded.ttl_seconds } : {}),
      ...(loaded.context_length !== null ? { context_length: loaded.context_length } : {}),
      ...(loaded.stop !== null ? { stop: loaded.stop } : {}),
      ...(loaded.tool_format !== null ? { tool_format: loaded.tool_format } : {}),
    };
  if (target.profile)
    return loadOptions({ model: target.id, params: target.profile.params as ProfileParams });
  return { model: target.id };
}

/**
 * The load request that keeps what the model is loaded with (or its profile's options) and sets what the
 * client asked for; null when nothing needs to change.
 */
export function loadRequest(
  target: LocalTarget,
  current: AdminModelRow | undefined,
  want: Residency,
): LoadRequest | null {
  const loaded = current?.loaded === true ? current : null;
  const base = baseLoad(target, loaded);
  const out: LoadRequest = { ...base };
  // 0 is handled after the request (an unload), not as a TTL the next just-in-time load would inherit.
  if (want.keepAlive === null) delete out.ttl_seconds;
  else if (want.keepAlive !== undefined && want.keepAlive > 0) out.ttl_seconds = want.keepAlive;
  if (!loaded && want.numCtx !== undefined && want.numCtx > 0) out.context_length = want.numCtx;
  if (loaded && JSON.stringify(out) === JSON.stringify(base)) return null;
  if (
    !loaded &&
    want.numCtx === undefined &&
    (want.keepAlive === undefined || want.keepAlive === 0)
  )
    return null;
  return out;
}

/**
 * Applies keep_alive and num_ctx before a request; returns the milliseconds spent loading. Best effort: a
 * failed load is logged and the request goes on (its own error, or a fallback, is the client's answer).
 */
export async function prepareResidency(
  admin: ModelAdmin,
  target: LocalTarget,
  want: Residency,
  log: Logger,
): Promise<number> {
  if (want.keepAlive === undefined && want.numCtx === undefined) return 0;
  const t0 = performance.now();
  try {
    const req = loadRequest(target, await row(admin, target.id), want);
    if (req) await admin.load(req);
  } catch (e) {
    log.warn('ollama keep_alive/num_ctx load failed', {
      model: target.id,
      error: (e as Error).message,
    });
  }
  return performance.now() - t0;
}

/** Loads the model now (Ollama's empty request); returns the milliseconds it took. Errors reach the client. */
export async function loadNow(
  admin: ModelAdmin,
  target: LocalTarget,
  want: Residency,
): Promise<number> {
  const t0 = performance.now();
  const current = await row(admin, target.id);
  const req =
    loadRequest(target, current, want) ?? (current?.loaded ? null : baseLoad(target, null));
  if (req) await admin.load(req);
  return performance.now() - t0;
}

/**
 * Unloads the model unless other requests are decoding on it (they would fail with it): then its own TTL
 * stays in charge. Returns whether it was unloaded.
 */
export async function unloadIfIdle(admin: ModelAdmin, id: string): Promise<boolean> {
  const r = await row(admin, id);
  if (!r?.loaded || r.active_sequences > 0) return false;
  await admin.unload(id);
  return true;
}
