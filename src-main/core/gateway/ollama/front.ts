// Ollama's API (/api/*) as a gateway front-end: chat and generate become chat generations (routing,
// fallback, keys and audit as for /v1), the model routes are answered from Orchard's listing and areas.
import { performance } from 'node:perf_hooks';
import type { z } from 'zod';
import type { Logger } from '../../log/index.ts';
import type { DescribedModel, ModelListing } from '../api/models.ts';
import { GatewayError } from '../errors.ts';
import type { FrontAnswer, FrontCall, FrontEnd, Generation } from '../frontEnd.ts';
import type { ProfileInfo } from '../types.ts';
import { createdAt, fromChat, type ReplyContext } from './fromChat.ts';
import {
  loadNow,
  prepareResidency,
  unloadIfIdle,
  type LocalTarget,
  type Residency,
} from './keepAlive.ts';
import {
  copyModel,
  deleteModel,
  pullLines,
  pullToEnd,
  startPull,
  type ManageServices,
} from './manage.ts';
import { psBody, showBody, tagsBody, type LocalName } from './models.ts';
import { resolveName } from './names.ts';
import {
  chatRequest,
  copyRequest,
  deleteRequest,
  embedRequest,
  generateRequest,
  invalidMessage,
  keepAliveSeconds,
  pullRequest,
  showRequest,
  type ChatRequest,
  type GenerateRequest,
} from './protocol.ts';
import { NDJSON, ollamaStream } from './stream.ts';
import { chatToChat, generateToChat } from './toChat.ts';

/**
 * The Ollama API level Orchard answers as: clients compare it with the version a feature needs (VS Code
 * asks for at least 0.6.4), so it names the Ollama release whose API this front-end follows.
 */
export const OLLAMA_API_VERSION = '0.12.6';

export interface OllamaDeps {
  models: ModelListing;
  /** Profiles with their parameters (routing.profiles): /api/show's parameters, load options. */
  profiles: () => ProfileInfo[];
  services: ManageServices;
  /** Makes the next listing ask the sidecar again (after a pull or a delete). */
  refreshModels?: () => Promise<void>;
  log: Logger;
  now: () => number;
}

const BASE = '/api';
// LM Studio's native routes live under /api/v0 (lmstudio/models.ts).
const isOllamaPath = (path: string) =>
  (path === BASE || path.startsWith(`${BASE}/`)) && !/^\/api\/v\d+(\/|$)/.test(path);

type Kind = DescribedModel['kind'];

function parse<S extends z.ZodType>(schema: S, json: unknown): z.output<S> {
  const r = schema.safeParse(json);
  if (!r.success) throw new GatewayError(400, 'invalid_request', invalidMessage(r.error));
  return r.data;
}

function method(call: FrontCall, ...allowed: string[]): void {
  if (!allowed.includes(call.method))
    throw new GatewayError(
      405,
      'method_not_allowed',
      `${call.path} accepts ${allowed.join(' or ')} only`,
    );
}

function notFound(name: string): GatewayError {
  return new GatewayError(404, 'model_not_found', `model '${name}' not found`, 'model');
}

export function ollamaFront(deps: OllamaDeps): FrontEnd {
  const { models, services, log } = deps;

  /** Every name with its kind and, where it ends at a local model, that model's metadata. */
  async function catalogue() {
    const all = await models.describedModels();
    const known = new Set(all.map((m) => m.id));
    const find = (name: string) => all.find((m) => m.id === resolveName(name, known));
    return { all, known, find };
  }

  /** The Orchard name a client's name stands for, from the remembered list (no sidecar call). */
  async function nameOf(clientName: string): Promise<string> {
    const known = new Set((await models.listModels()).map((m) => m.id));
    return resolveName(clientName, known);
  }

  const local = (all: readonly DescribedModel[]): LocalName[] =>
    all.filter((m): m is LocalName => m.meta !== null);

  const targetOf = (m: DescribedModel | undefined): LocalTarget | null => {
    if (!m?.meta) return null;
    const profile = m.kind === 'profile' ? deps.profiles().find((p) => p.name === m.id) : undefined;
    return { id: m.meta.id, profile: profile ?? null };
  };

  function residency(req: ChatRequest | GenerateRequest): Residency {
    let keepAlive: number | null | undefined;
    try {
      keepAlive = keepAliveSeconds(req.keep_alive);
    } catch (e) {
      throw new GatewayError(400, 'invalid_request', (e as Error).message, 'keep_alive');
    }
    const numCtx = req.options?.num_ctx ?? undefined;
    return { keepAlive, numCtx: numCtx && numCtx > 0 ? numCtx : undefined };
  }

  /** An empty chat or prompt loads the model (or, with keep_alive 0, unloads it), as in Ollama. */
  async function loadOnly(
    kind: 'chat' | 'generate',
    clientName: string,
    m: DescribedModel | undefined,
    want: Residency,
  ): Promise<FrontAnswer> {
    if (!m) throw notFound(clientName);
    const target = targetOf(m);
    const admin = services.admin;
    let reason = 'load';
    let loadMs = 0;
    if (target && admin) {
      if (want.keepAlive === 0) {
        await unloadIfIdle(admin, target.id);
        reason = 'unload';
      } else loadMs = await loadNow(admin, target, want);
    }
    return {
      kind: 'json',
      status: 200,
      body: {
        model: clientName,
        created_at: createdAt(),
        ...(kind === 'chat' ? { message: { role: 'assistant', content: '' } } : { response: '' }),
        done: true,
        done_reason: reason,
        ...(reason === 'load' ? { load_duration: Math.round(loadMs * 1e6) } : {}),
      },
    };
  }

  async function generate(call: FrontCall, kind: 'chat' | 'generate'): Promise<FrontAnswer> {
    method(call, 'POST');
    const startedAt = performance.now();
    const json = await call.json();
    const given = (json as { model?: unknown } | null)?.model;
    if (typeof given === 'string') call.noteModel(given);
    const req: ChatRequest | GenerateRequest =
      kind === 'chat' ? parse(chatRequest, json) : parse(generateRequest, json);
    const want = residency(req);
    const name = await nameOf(req.model);
    call.noteModel(name);
    const empty =
      kind === 'chat'
        ? !(req as ChatRequest).messages?.length
        : !(req as GenerateRequest).prompt && !(req as GenerateRequest).images?.length;
    const images =
      kind === 'chat'
        ? ((req as ChatRequest).messages ?? []).some((x) => x.images?.length)
        : Boolean((req as GenerateRequest).images?.length);
    // The local model behind the name matters only when the request says how to hold it, or has images.
    const m =
      empty || images || want.keepAlive !== undefined || want.numCtx !== undefined
        ? (await models.describedModels()).find((x) => x.id === name)
        : undefined;
    if (empty) return loadOnly(kind, req.model, m, want);
    if (images && m?.meta && !m.meta.capabilities.includes('vision'))
      throw new GatewayError(
        400,
        'vision_not_supported',
        `model '${req.model}' does not support images: it is a text model (capabilities: ${m.meta.capabilities.join(', ')})`,
        'images',
      );

    const chat =
      kind === 'chat'
        ? chatToChat(req as ChatRequest, name)
        : generateToChat(req as GenerateRequest, name);
    const target = targetOf(m);
    const admin = services.admin;
    const loadMs = target && admin ? await prepareResidency(admin, target, want, log) : 0;
    const ctx: ReplyContext = { model: req.model, kind, startedAt, loadMs };

    // keep_alive 0: unloaded once the answer is complete (after the last attempt's stream or JSON).
    let after = false;
    const afterwards = () => {
      if (after || want.keepAlive !== 0 || !target || !admin) return;
      after = true;
      unloadIfIdle(admin, target.id).catch((e: unknown) =>
        log.warn('ollama keep_alive 0 unload failed', {
          model: target.id,
          error: (e as Error).message,
        }),
      );
    };
    const generation: Generation = {
      model: name,
      stream: chat.stream === true,
      chat,
      fromChat(res) {
        const out = fromChat(ctx, res);
        afterwards();
        return out;
      },
      openStream: () => ollamaStream(ctx, afterwards),
      contentType: NDJSON,
    };
    return { kind: 'generate', generation };
  }

  async function show(call: FrontCall): Promise<FrontAnswer> {
    method(call, 'POST');
    const req = parse(showRequest, await call.json());
    call.noteModel(req.model);
    const m = (await catalogue()).find(req.model);
    if (!m) throw notFound(req.model);
    if (!m.meta)
      throw new GatewayError(
        404,
        'model_not_found',
        `model '${req.model}' is routed to a provider: Orchard has no local details to show`,
        'model',
      );
    const profile = m.kind === 'profile' ? deps.profiles().find((p) => p.name === m.id) : undefined;
    return {
      kind: 'json',
      status: 200,
      body: await showBody(m as LocalName, profile?.params ?? {}),
    };
  }

  async function ps(): Promise<FrontAnswer> {
    const [{ all }, rows] = await Promise.all([
      catalogue(),
      // A sidecar that is (re)starting has nothing loaded: an empty list, not an error, for pollers.
      services.admin
        ? services.admin.models().then(
            (r) => r.data,
            () => [],
          )
        : Promise.resolve([]),
    ]);
    return { kind: 'json', status: 200, body: psBody(rows, local(all), deps.now()) };
  }

  async function pull(call: FrontCall): Promise<FrontAnswer> {
    method(call, 'POST');
    const req = parse(pullRequest, await call.json());
    call.noteModel(req.model);
    const view = await startPull(services, req.model);
    const refresh = async () => deps.refreshModels?.();
    if (req.stream === false)
      return { kind: 'json', status: 200, body: await pullToEnd(services, view, refresh) };
    return { kind: 'stream', contentType: NDJSON, frames: pullLines(services, view, refresh) };
  }

  async function remove(call: FrontCall): Promise<FrontAnswer> {
    method(call, 'DELETE');
    const req = parse(deleteRequest, await call.json());
    call.noteModel(req.model);
    const m = (await catalogue()).find(req.model);
    await deleteModel(services, m?.id ?? req.model, (m?.kind ?? null) as Kind | null);
    await deps.refreshModels?.();
    return { kind: 'json', status: 200, body: {} };
  }

  async function copy(call: FrontCall): Promise<FrontAnswer> {
    method(call, 'POST');
    const req = parse(copyRequest, await call.json());
    call.noteModel(req.source);
    const { find, all } = await catalogue();
    const src = find(req.source);
    const dst = all.find((m) => m.id === req.destination);
    copyModel(
      services,
      { name: src?.id ?? req.source, kind: src?.kind ?? null },
      req.destination,
      dst?.kind ?? null,
    );
    return { kind: 'json', status: 200, body: {} };
  }

  /** /api/embed (a list of vectors) and the legacy /api/embeddings (one), as /v1/embeddings. */
  async function embed(call: FrontCall, legacy: boolean): Promise<FrontAnswer> {
    method(call, 'POST');
    const req = parse(embedRequest, await call.json());
    call.noteModel(req.model);
    const input = req.input ?? req.prompt ?? '';
    const started = performance.now();
    const body: Record<string, unknown> = {
      model: await nameOf(req.model),
      input: legacy || typeof input === 'string' ? [input] : input,
      encoding_format: 'float',
      truncate: req.truncate ?? true,
      ...(req.dimensions ? { dimensions: req.dimensions } : {}),
    };
    return {
      kind: 'embeddings',
      embeddings: {
        model: req.model,
        body,
        fromJson: (json) => {
          const data = (json.data as Array<{ embedding: number[] }> | undefined) ?? [];
          const vectors = data.map((d) => d.embedding);
          if (legacy) return { embedding: vectors[0] ?? [] };
          const usage = json.usage as { prompt_tokens?: number } | undefined;
          return {
            model: req.model,
            embeddings: vectors,
            total_duration: Math.round((performance.now() - started) * 1e6),
            load_duration: 0,
            prompt_eval_count: usage?.prompt_tokens ?? 0,
          };
        },
      },
    };
  }

  async function route(call: FrontCall): Promise<FrontAnswer> {
    const sub = call.path.slice(BASE.length + 1);
    switch (sub) {
      case 'version':
        method(call, 'GET', 'HEAD');
        return { kind: 'json', status: 200, body: { version: OLLAMA_API_VERSION } };
      case 'tags':
        method(call, 'GET', 'HEAD');
        return {
          kind: 'json',
          status: 200,
          body: await tagsBody(local((await catalogue()).all)),
        };
      case 'show':
        return show(call);
      case 'ps':
        method(call, 'GET', 'HEAD');
        return ps();
      case 'chat':
        return generate(call, 'chat');
      case 'generate':
        return generate(call, 'generate');
      case 'embed':
        return embed(call, false);
      case 'embeddings':
        return embed(call, true);
      case 'pull':
        return pull(call);
      case 'delete':
        return remove(call);
      case 'copy':
        return copy(call);
      // Refused as the client's request (400), not as a server fault: these will never be served here.
      case 'push':
      case 'create':
        throw new GatewayError(
          400,
          'not_supported',
          `/api/${sub} is not supported by Orchard: models come from the Hugging Face Hub (/api/pull)`,
        );
      default:
        if (sub.startsWith('blobs/'))
          throw new GatewayError(400, 'not_supported', 'model blobs are not supported by Orchard');
        throw new GatewayError(404, 'unknown_endpoint', `no route for ${call.method} ${call.path}`);
    }
  }

  return {
    claims: isOllamaPath,
    // Ollama's error shape: {"error": "message"}, with the status.
    errorBody: (e) => ({ error: e.message }),
    route,
  };
}
