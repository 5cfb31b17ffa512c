// What every stream framer shares: the step it fills from upstream SSE events, the frame source the
// dispatcher reads, and the checks for generated output and upstream error events.
import type { SseEvent } from '#shared/sse.ts';
import { GatewayError } from '../errors.ts';
import type { Json, OAChunk } from './shapes.ts';
import type { Usage } from './usage.ts';

/** The frames of a stream, step by step; a rejected step is a broken or failed upstream stream. */
export interface FrameSource {
  next(): Promise<IteratorResult<StreamStep, void>>;
}

export interface StreamStep {
  frames: string[];
  /** True once a step carries generated output (the point after which no fallback may happen). */
  token: boolean;
}

/** Turns upstream SSE events into client frames, synchronously; `end` runs once when the body ends. */
export interface Framer {
  push(events: SseEvent[], step: StreamStep): void;
  end(step: StreamStep): void;
  usage(): Usage;
}

export function parse(data: string): Json | null {
  try {
    return JSON.parse(data) as Json;
  } catch {
    return null;
  }
}

/** An error event in either protocol's stream, as the gateway error that ends it; else null. */
export function streamErrorOf(j: Json | null): GatewayError | null {
  if (!j) return null;
  const e = (j.type === 'error' ? j.error : j.error) as
    { message?: string; type?: string; code?: string } | undefined;
  if (!e || (j.type !== 'error' && !('error' in j))) return null;
  return new GatewayError(
    502,
    String(e.code ?? e.type ?? 'upstream_error'),
    String(e.message ?? 'upstream stream error'),
  );
}

export const hasToken = (c: OAChunk): boolean =>
  (c.choices ?? []).some((ch) => {
    const d = ch.delta ?? {};
    return Boolean(
      d.content || d.reasoning_content || d.reasoning || d.tool_calls?.length || ch.finish_reason,
    );
  });
