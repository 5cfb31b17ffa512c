// A backend's SSE body as client-protocol frames, chunk by chunk: the framer for the protocol pair (pass
// through, or translate across) and the read loop that steps it. Nothing is buffered whole.
import { sseParser } from '#shared/sse.ts';
import type { Protocol } from '../errors.ts';
import { toOpenAIFramer } from './anthropicStreamToOpenai.ts';
import type { Framer, FrameSource, StreamStep } from './framer.ts';
import { toAnthropicFramer } from './openaiStreamToAnthropic.ts';
import { anthropicPassthrough, openaiPassthrough } from './passthroughFramers.ts';
import type { Usage } from './usage.ts';

/** Which way a request (and so its answer) is translated between the two protocols. */
export type Translation = 'none' | 'openai->anthropic' | 'anthropic->openai';

/**
 * Steps of a stream: one upstream read, its complete events through the framer, one step out. A single
 * await per upstream chunk: this loop runs for every token, so it is kept free of generator layers.
 */
export function frameSteps(body: ReadableStream<Uint8Array>, framer: Framer): FrameSource {
  const reader = body.getReader();
  const parser = sseParser();
  let ended = false;
  const read = async (): Promise<IteratorResult<StreamStep, void>> => {
    for (;;) {
      if (ended) return { done: true, value: undefined };
      const { done, value } = await reader.read();
      const step: StreamStep = { frames: [], token: false };
      if (done) {
        ended = true;
        const rest = parser.end();
        if (rest.length) framer.push(rest, step);
        framer.end(step);
        reader.releaseLock();
        return step.frames.length || step.token
          ? { done: false, value: step }
          : { done: true, value: undefined };
      }
      const events = parser.push(value);
      if (!events.length) continue;
      framer.push(events, step);
      return { done: false, value: step };
    }
  };
  return {
    async next() {
      try {
        return await read();
      } catch (e) {
        // An error event or a broken body ends the stream here: release the upstream connection too.
        ended = true;
        void reader.cancel().catch(() => {});
        throw e;
      }
    },
  };
}

/** Frames of a stream in the client's protocol, whatever the backend spoke. */
export function streamOf(
  body: ReadableStream<Uint8Array>,
  clientProtocol: Protocol,
  translation: Translation,
  model: string,
  clientWantsUsage: boolean,
): { frames: FrameSource; usage: () => Usage } {
  const framer =
    translation === 'anthropic->openai'
      ? toAnthropicFramer(model)
      : translation === 'openai->anthropic'
        ? toOpenAIFramer(model, clientWantsUsage)
        : clientProtocol === 'anthropic'
          ? anthropicPassthrough()
          : openaiPassthrough(clientWantsUsage);
  return { frames: frameSteps(body, framer), usage: () => framer.usage() };
}
