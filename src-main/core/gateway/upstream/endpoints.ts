// The POST endpoints the gateway forwards, their /v1 paths, and the protocol each one's client speaks.
// Both the request handling and the upstream attempt key on these names.
import type { Protocol } from '../errors.ts';

export type Endpoint = 'chat' | 'completions' | 'embeddings' | 'messages' | 'count_tokens';

export const ENDPOINT_PATHS: Record<Endpoint, string> = {
  chat: '/v1/chat/completions',
  completions: '/v1/completions',
  embeddings: '/v1/embeddings',
  messages: '/v1/messages',
  count_tokens: '/v1/messages/count_tokens',
};

export const PROTOCOL_OF: Record<Endpoint, Protocol> = {
  chat: 'openai',
  completions: 'openai',
  embeddings: 'openai',
  messages: 'anthropic',
  count_tokens: 'anthropic',
};
