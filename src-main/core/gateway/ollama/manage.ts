// /api/pull, /api/delete and /api/copy over Orchard's own machinery: a pull is an Orchard download (its
// progress as Ollama's status lines), a delete removes a model or an alias, a copy names a model anew.
import { GatewayError, toGatewayError } from '../errors.ts';
import { aliasTarget } from '../routing/explain.ts';
import type { Json } from '../translate/shapes.ts';
import { digestOf } from './models.ts';
import { pullTarget } from './names.ts';
import { unloadIfIdle, type ModelAdmin } from './keepAlive.ts';

/** What a pull reads of a download (downloads/views.ts DownloadView). */
export interface PullView {
  id: string;
  repoId: string;
  status: string;
  totalBytes: number | null;
  doneBytes: number;
  error: string | null;
  commitSha: string | null;
}

/** The download manager, narrowed to what a pull needs. */
export interface PullService {
  pull(repoId: string, p: { revision?: string }): Promise<PullView>;
  on(
    event: 'progress',
    fn: (e: { id: string; doneBytes: number; totalBytes: number }) => void,
  ): () => void;
  /** Resolves when the download stops running (done, failed, paused, cancelled). */
  wait(id: string): Promise<PullView>;
}

/** Aliases (the `gateway.aliases` setting): a name standing for a local repo id. */
export interface AliasStore {
  all(): Record<string, string>;
  set(alias: string, repoId: string): void;
  remove(alias: string): boolean;
}

export interface ManageServices {
  downloads?: PullService;
  /** Deletes a model from the HF cache (library); refuses one that is loaded (code model_loaded). */
  removeModel?: (repoId: string) => Promise<{ freedBytes: number }>;
  aliases?: AliasStore;
  /** A new profile under `name` with the parameters of profile `source`. */
  copyProfile?: (source: string, name: string) => void;
  admin?: ModelAdmin;
}

function unavailable(what: string): GatewayError {
  return new GatewayError(501, 'not_available', `${what} is not available in this Orchard process`);
}

function progressLine(view: Pick<PullView, 'repoId' | 'commitSha'>, done: number, total: number) {
  return {
    status: `pulling ${view.repoId}`,
    digest: `sha256:${digestOf(view.repoId, view.commitSha)}`,
    total,
    completed: done,
  };
}

/** Starts (or joins) the download; errors here (bad name, not on the Hub, gated) are the reply's status. */
export async function startPull(s: ManageServices, name: string): Promise<PullView> {
  if (!s.downloads) throw unavailable('Pulling models');
  const { repoId, revision } = pullTarget(name);
  return s.downloads.pull(repoId, { revision });
}

function failure(v: PullView): string {
  return `pull of ${v.repoId} ${v.status}${v.error ? `: ${v.error}` : ''}`;
}

/** The whole pull, waited for: Ollama's reply when `stream` is false. */
export async function pullToEnd(
  s: ManageServices,
  view: PullView,
  onSuccess: () => Promise<void> = async () => {},
): Promise<Json> {
  const end = view.status === 'done' ? view : await s.downloads!.wait(view.id);
  if (end.status !== 'done') throw new GatewayError(502, 'pull_failed', failure(end));
  await onSuccess();
  return { status: 'success' };
}

/**
 * The pull's progress as Ollama's NDJSON status lines, ending with "success" (after `onSuccess`, so a
 * listing right after it shows the model) or an error line.
 */
export async function* pullLines(
  s: ManageServices,
  view: PullView,
  onSuccess: () => Promise<void> = async () => {},
): AsyncGenerator<string> {
  const line = (j: Json) => `${JSON.stringify(j)}\n`;
  yield line({ status: 'pulling manifest' });
  const queue: Json[] = [];
  let wake: (() => void) | null = null;
  let end: PullView | null = view.status === 'done' ? view : null;
  const off = s.downloads!.on('progress', (e) => {
    if (e.id !== view.id) return;
    queue.push(progressLine(view, e.doneBytes, e.totalBytes));
    wake?.();
  });
  try {
    if (!end) {
      queue.push(progressLine(view, view.doneBytes, view.totalBytes ?? 0));
      void s.downloads!.wait(view.id).then(
        (v) => {
          end = v;
          wake?.();
        },
        (e: unknown) => {
          end = { ...view, status: 'failed', error: (e as Error).message };
          wake?.();
        },
      );
    }
    for (;;) {
      while (queue.length) yield line(queue.shift()!);
      if (end) break;
      await new Promise<void>((r) => (wake = r));
      wake = null;
    }
    const last = end as PullView;
    if (last.status !== 'done') {
      yield line({ error: failure(last) });
      return;
    }
    const total = last.totalBytes ?? last.doneBytes;
    yield line(progressLine(last, total, total));
    // Orchard verified every file's hash as it was written; these are the lines Ollama's clients wait for.
    yield line({ status: 'verifying sha256 digest' });
    yield line({ status: 'writing manifest' });
    await onSuccess();
    yield line({ status: 'success' });
  } finally {
    off();
  }
}

/** Deletes an alias, or a model from the cache (unloading it first when nothing is decoding on it). */
export async function deleteModel(
  s: ManageServices,
  name: string,
  kind: 'local' | 'alias' | 'profile' | 'route' | null,
): Promise<void> {
  if (kind === 'alias') {
    if (!s.aliases) throw unavailable('Deleting aliases');
    s.aliases.remove(name);
    return;
  }
  if (kind === 'profile')
    throw new GatewayError(
      400,
      'is_profile',
      `'${name}' is an Orchard profile: delete it on the Profiles page (its model stays)`,
      'model',
    );
  if (kind !== 'local')
    throw new GatewayError(404, 'model_not_found', `model '${name}' not found`, 'model');
  if (!s.removeModel) throw unavailable('Deleting models');
  try {
    await s.removeModel(name);
  } catch (e) {
    const ge = toGatewayError(e);
    // Ollama deletes a loaded model; Orchard unloads it first, unless requests are decoding on it.
    if (ge.code !== 'model_loaded' || !s.admin || !(await unloadIfIdle(s.admin, name))) throw ge;
    await s.removeModel(name);
  }
  // Aliases of the deleted model would name nothing.
  for (const [alias, target] of Object.entries(s.aliases?.all() ?? {}))
    if (target === name) s.aliases!.remove(alias);
}

const NEW_NAME = /^[A-Za-z0-9][\w.:/-]{0,199}$/;

/**
 * A copy is a new name for the same model: an alias of a local model (or of what an alias stands for), or
 * a new profile with a profile's parameters. Existing local ids and profiles are never overwritten.
 */
export function copyModel(
  s: ManageServices,
  source: { name: string; kind: 'local' | 'alias' | 'profile' | 'route' | null },
  destination: string,
  destinationKind: 'local' | 'alias' | 'profile' | 'route' | null,
): void {
  if (!NEW_NAME.test(destination))
    throw new GatewayError(
      400,
      'invalid_model_name',
      `'${destination}' is not a valid name (letters, digits, '.', '_', '-', ':', '/'; up to 200)`,
      'destination',
    );
  if (destinationKind === 'local' || destinationKind === 'profile')
    throw new GatewayError(
      400,
      'name_taken',
      `'${destination}' is already a ${destinationKind === 'local' ? 'local model' : 'profile'}`,
      'destination',
    );
  if (source.kind === 'profile') {
    if (!s.copyProfile) throw unavailable('Copying profiles');
    if (destinationKind === 'alias') s.aliases?.remove(destination);
    s.copyProfile(source.name, destination);
    return;
  }
  if (source.kind !== 'local' && source.kind !== 'alias')
    throw new GatewayError(
      404,
      'model_not_found',
      `model '${source.name}' not found (only local models, aliases and profiles can be copied)`,
      'source',
    );
  if (!s.aliases) throw unavailable('Copying models');
  const target =
    source.kind === 'alias'
      ? (aliasTarget(s.aliases.all(), source.name) ?? source.name)
      : source.name;
  s.aliases.set(destination, target);
}
