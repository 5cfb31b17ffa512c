// The two protocols' stream framings, byte for byte.
import { describe, expect, it } from 'vitest';
import { anthropicFrame, OPENAI_DONE, openAIFrame } from './sseFrames.ts';

describe('SSE frames', () => {
  it('frames both protocols', () => {
    expect(openAIFrame({ a: 1 })).toBe('data: {"a":1}\n\n');
    expect(OPENAI_DONE).toBe('data: [DONE]\n\n');
    expect(anthropicFrame({ type: 'ping' })).toBe('event: ping\ndata: {"type":"ping"}\n\n');
  });
});
