// An OpenAI-format provider speaks the Responses API itself: the client's body goes to its /responses as
// it is (a stored local history expanded in place of previous_response_id) and the answer comes back as is.
import { GatewayError } from '../errors.ts';
import type { NativeRoute } from '../frontEnd.ts';
import { parse } from '../translate/framer.ts';
import type { Json } from '../translate/shapes.ts';
import { num, type Usage } from '../translate/usage.ts';
import { sseEvent } from './stream.ts';

function usageOf(response: Json | undefined): Usage {
  const u = (response?.usage ?? {}) as Json;
  return { promptTokens: num(u.input_tokens), completionTokens: num(u.output_tokens) };
}

/** Events that come before any output: until one of the others arrives, a fallback is still possible. */
const PREAMBLE = new Set(['response.created', 'response.in_progress', 'response.queued']);
const FINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/**
 * Local history items for a provider: ids and statuses dropped (the provider would look them up as its
 * own), and reasoning items left out (a provider accepts only reasoning it produced and encrypted).
 */
export function historyForProvider(items: readonly Json[]): Json[] {
  return items
    .filter((it) => it.type !== 'reasoning')
    .map(({ id: _id, status: _status, ...rest }) => rest);
}

export function nativeRoute(
  body: Json,
  /** The response object to keep (already known to be wanted: store was not false). */
  save: ((response: Json) => void) | null,
): NativeRoute {
  return {
    path: '/responses',
    body,
    fromJson(json) {
      if (save && typeof json.id === 'string') save(json);
      return { body: json, usage: usageOf(json) };
    },
    framer() {
      let usage: Usage = { promptTokens: null, completionTokens: null };
      let seq = -1;
      let output = false;
      return {
        push(events, step) {
          for (const ev of events) {
            const j = parse(ev.data);
            if (!j) continue;
            const type = String(j.type ?? ev.event ?? '');
            // Before any output a failure may still go to the next backend.
            if (!output && (type === 'error' || type === 'response.failed')) {
              const err = (type === 'error' ? j : (j.response as Json | undefined)?.error) as
                Json | undefined;
              throw new GatewayError(
                502,
                String(err?.code ?? 'upstream_error'),
                String(err?.message ?? 'the provider failed the response'),
              );
            }
            if (typeof j.sequence_number === 'number') seq = j.sequence_number;
            if (FINAL.has(type)) {
              const response = j.response as Json | undefined;
              usage = usageOf(response);
              if (save && response && typeof response.id === 'string') save(response);
            }
            if (!PREAMBLE.has(type)) step.token = output = true;
            step.frames.push(`event: ${type}\ndata: ${ev.data}\n\n`);
          }
        },
        end() {},
        usage: () => usage,
        errorFrame: (message) =>
          sseEvent('error', seq + 1, { code: 'upstream_interrupted', message, param: null }),
      };
    },
  };
}
