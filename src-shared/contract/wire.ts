// Frames of the WebSocket transport that carries the contract: the client authenticates, then
// calls; the server answers each call by id and pushes events.
import { z } from 'zod';
import type { EventName } from './index.ts';

export const RpcErrorPayload = z.object({ code: z.string(), message: z.string() });

export const ClientFrame = z.union([
  z.object({ type: z.literal('auth'), token: z.string() }),
  z.object({
    type: z.literal('call'),
    id: z.number().int(),
    method: z.string(),
    params: z.unknown(),
  }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type ServerFrame =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number | null; error: z.infer<typeof RpcErrorPayload> }
  | { type: 'event'; event: EventName; data: unknown };
