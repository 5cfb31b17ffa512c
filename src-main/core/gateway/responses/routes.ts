// GET /v1/responses/{id}, DELETE /v1/responses/{id} and GET /v1/responses/{id}/input_items: what the
// store kept, in OpenAI's shapes; an id that is not stored (or was stored with store: false) is a 404.
import { GatewayError } from '../errors.ts';
import type { FrontAnswer, FrontCall } from '../frontEnd.ts';
import type { ResponsesStore } from '../store/responses.ts';

function notFound(id: string): GatewayError {
  return new GatewayError(404, 'not_found', `No response found with id '${id}'.`, 'response_id');
}

function idOf(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new GatewayError(
      400,
      'invalid_path',
      'The response id in the path is not valid.',
      'response_id',
    );
  }
}

/** One page of a list, OpenAI's cursor style: `after` is the id of the last item already seen. */
function page(call: FrontCall, items: Array<Record<string, unknown>>): FrontAnswer {
  const q = call.url.searchParams;
  const limit = Math.min(100, Math.max(1, Number(q.get('limit') ?? 20) || 20));
  const ordered = q.get('order') === 'asc' ? items : [...items].reverse();
  const after = q.get('after');
  const start = after ? ordered.findIndex((it) => it.id === after) + 1 : 0;
  const data = ordered.slice(start, start + limit);
  return {
    kind: 'json',
    status: 200,
    body: {
      object: 'list',
      data,
      first_id: (data[0]?.id as string | undefined) ?? null,
      last_id: (data.at(-1)?.id as string | undefined) ?? null,
      has_more: start + limit < ordered.length,
    },
  };
}

/** Serves /v1/responses/{id}[/input_items]; `rest` is the path after /v1/responses/. */
export function storedRoutes(store: ResponsesStore, call: FrontCall, rest: string): FrontAnswer {
  const [segment = '', sub, ...more] = rest.split('/');
  const id = idOf(segment);
  if (more.length || (sub !== undefined && sub !== 'input_items'))
    throw new GatewayError(404, 'unknown_endpoint', `no route for ${call.method} ${call.path}`);
  if (sub === 'input_items') {
    if (call.method !== 'GET')
      throw new GatewayError(405, 'method_not_allowed', `${call.path} accepts GET only`);
    if (!store.get(id)) throw notFound(id);
    return page(call, store.inputItems(id));
  }
  if (call.method === 'GET') {
    const r = store.get(id);
    if (!r) throw notFound(id);
    return { kind: 'json', status: 200, body: r.body };
  }
  if (call.method === 'DELETE') {
    if (!store.delete(id)) throw notFound(id);
    return { kind: 'json', status: 200, body: { id, object: 'response.deleted', deleted: true } };
  }
  throw new GatewayError(405, 'method_not_allowed', `${call.path} accepts GET and DELETE only`);
}
