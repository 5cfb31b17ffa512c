// The Responses API as a gateway front-end: POST /v1/responses becomes a chat generation (history from
// previous_response_id, stored when asked), the stored-response routes are answered from SQLite.
import { GatewayError, errorBody } from '../errors.ts';
import type { FrontAnswer, FrontCall, FrontEnd, Generation } from '../frontEnd.ts';
import type { ResponsesStore } from '../store/responses.ts';
import type { Json } from '../translate/shapes.ts';
import { fromChat } from './fromChat.ts';
import { historyForProvider, nativeRoute } from './native.ts';
import { newId, type ResponseContext } from './object.ts';
import { responsesRequest, type Item, type ResponsesRequest } from './protocol.ts';
import { storedRoutes } from './routes.ts';
import { responsesStream } from './stream.ts';
import { toChat } from './toChat.ts';

const BASE = '/v1/responses';

const ID_PREFIX: Record<string, string> = {
  message: 'msg',
  function_call: 'fc',
  function_call_output: 'fco',
  custom_tool_call: 'ctc',
  custom_tool_call_output: 'ctco',
  reasoning: 'rs',
};

/** The request's input as stored items: typed, with ids, message text as content parts. */
export function normalizeInput(input: ResponsesRequest['input']): Item[] {
  const items: Item[] =
    typeof input === 'string'
      ? [{ type: 'message', role: 'user', content: input }]
      : ((input ?? []) as Item[]);
  return items.map((raw) => {
    const it: Item = { ...raw, type: raw.type ?? 'message' };
    if (it.type === 'message' && typeof it.content === 'string') {
      const kind = it.role === 'assistant' ? 'output_text' : 'input_text';
      it.content = [{ type: kind, text: it.content }];
    }
    if (typeof it.id !== 'string' || it.id === '') it.id = newId(ID_PREFIX[it.type!] ?? 'item');
    return it;
  });
}

function invalid(error: {
  issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>;
}): GatewayError {
  const issue = error.issues[0];
  const param = issue?.path.map(String).join('.') || null;
  return new GatewayError(
    400,
    'invalid_request',
    `Invalid request: ${param ?? 'body'}: ${issue?.message ?? 'bad input'}`,
    param,
  );
}

export function responsesFront(deps: { store: ResponsesStore; now: () => number }): FrontEnd {
  const { store, now } = deps;

  /** item_reference items as the stored items they name. */
  const resolve = (items: readonly Item[]): Item[] =>
    items.map((it, i) => {
      if (it.type !== 'item_reference') return it;
      const found = store.item(String(it.id));
      if (!found)
        throw new GatewayError(
          400,
          'item_not_found',
          `Item with id '${String(it.id)}' not found.`,
          `input.${i}.id`,
        );
      return found as Item;
    });

  async function create(call: FrontCall): Promise<FrontAnswer> {
    const json = await call.json();
    const model = (json as { model?: unknown } | null)?.model;
    if (typeof model === 'string') call.noteModel(model);
    const parsed = responsesRequest.safeParse(json);
    if (!parsed.success) throw invalid(parsed.error);
    const req = parsed.data;
    const keep = req.store !== false;

    let history: Item[] = [];
    if (req.previous_response_id) {
      const found = store.history(req.previous_response_id);
      if (!found)
        throw new GatewayError(
          400,
          'previous_response_not_found',
          `Previous response with id '${req.previous_response_id}' not found.`,
          'previous_response_id',
        );
      history = found as Item[];
    }
    const input = resolve(normalizeInput(req.input));
    const plan = toChat(req, history, input);
    const ctx: ResponseContext = {
      id: newId('resp'),
      createdAt: Math.floor(now() / 1000),
      req,
      names: plan.names,
      summary: Boolean(req.reasoning?.summary),
    };
    const save = (response: Json) => {
      if (!keep) return;
      store.save(
        {
          id: String(response.id),
          createdAt: typeof response.created_at === 'number' ? response.created_at : ctx.createdAt,
          previousResponseId: req.previous_response_id ?? null,
          body: response,
        },
        input,
        (response.output as Json[] | undefined) ?? [],
      );
    };

    // A provider that speaks Responses gets the client's own body, with any local history spelled out.
    const nativeBody = (): Json => {
      const body = { ...(json as Json) };
      if (req.previous_response_id) {
        delete body.previous_response_id;
        const current = typeof req.input === 'string' ? normalizeInput(req.input) : input;
        body.input = historyForProvider([...history, ...current] as Json[]);
      }
      return body;
    };

    const generation: Generation = {
      model: req.model,
      stream: req.stream === true,
      chat: plan.chat,
      fromChat(res) {
        const out = fromChat(ctx, res);
        save(out);
        return out;
      },
      openStream: () => responsesStream(ctx, save),
      native: (format) =>
        format === 'openai' ? nativeRoute(nativeBody(), keep ? save : null) : null,
    };
    return { kind: 'generate', generation };
  }

  return {
    claims: (path) => path === BASE || path.startsWith(`${BASE}/`),
    errorBody: (e) => errorBody('openai', e),
    async route(call) {
      if (call.path === BASE) {
        if (call.method !== 'POST')
          throw new GatewayError(405, 'method_not_allowed', `${BASE} accepts POST only`);
        return create(call);
      }
      return storedRoutes(store, call, call.path.slice(BASE.length + 1));
    },
  };
}
