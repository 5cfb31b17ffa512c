// A profile's parameters applied to a request body bound for the local sidecar, in either protocol:
// the profile module speaks OpenAI's shape, so an Anthropic body is mapped through it and back.
import type { ProfileParams } from '#shared/contract/profiles.ts';
import { applyProfile } from '../../profiles/index.ts';
import type { Json } from '../translate/shapes.ts';
import { PROTOCOL_OF, type Endpoint } from './endpoints.ts';

export function withProfile(
  endpoint: Endpoint,
  body: Json,
  model: string,
  params: Record<string, unknown>,
): Json {
  if (Object.keys(params).length === 0) return { ...body, model };
  const profile = { model, params: params as ProfileParams };
  if (PROTOCOL_OF[endpoint] === 'openai') return applyProfile(profile, body);
  // Anthropic bodies keep `system` and `stop_sequences` at the top level; map them through the same rules.
  const asOpenAI = applyProfile(profile, { ...body, stop: body.stop_sequences, messages: [] });
  const out: Json = { ...asOpenAI, messages: body.messages };
  delete out.stop;
  if (asOpenAI.stop !== undefined) out.stop_sequences = asOpenAI.stop;
  const system = params.system_prompt;
  if (body.system === undefined && typeof system === 'string' && system !== '') out.system = system;
  delete out.chat_template_kwargs;
  if (endpoint === 'count_tokens')
    for (const k of Object.keys(out))
      if (!['model', 'messages', 'system', 'tools'].includes(k)) delete out[k];
  return out;
}
