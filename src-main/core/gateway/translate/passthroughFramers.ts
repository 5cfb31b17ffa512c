// Framers for a backend that speaks the client's own protocol: chunks go out as they came, while usage
// is read for the audit row and an upstream error event still ends the stream.
import { OPENAI_DONE, openAIFrame } from './sseFrames.ts';
import { hasToken, parse, streamErrorOf, type Framer } from './framer.ts';
import type { Json, OAChunk } from './shapes.ts';
import { anthropicPromptTokens, num, speculativeOf, usageOf, type Usage } from './usage.ts';

// Once a token has passed, a chunk is only parsed when its text may hold usage or an error; the rest
// (nearly every chunk) is forwarded as it came.
const MAY_MATTER = /"usage"\s*:\s*\{|"error"/;

export function openaiPassthrough(clientWantsUsage: boolean): Framer {
  let usage: Usage = { promptTokens: null, completionTokens: null };
  let tokenSeen = false;
  return {
    push(events, step) {
      for (const ev of events) {
        if (ev.data === '[DONE]') {
          step.frames.push(OPENAI_DONE);
          continue;
        }
        if (tokenSeen && !MAY_MATTER.test(ev.data)) {
          step.frames.push(`data: ${ev.data}\n\n`);
          continue;
        }
        const c = parse(ev.data) as OAChunk | null;
        const err = streamErrorOf(c as Json | null);
        if (err) throw err;
        if (!c) continue;
        if (c.usage) usage = usageOf('openai', c as Json);
        if (hasToken(c)) step.token = tokenSeen = true;
        if (c.usage && !clientWantsUsage) {
          // We asked for usage on the caller's behalf; they did not, so it is not shown to them.
          if (!c.choices?.length) continue;
          const { usage: _u, ...rest } = c;
          step.frames.push(openAIFrame(rest));
        } else {
          step.frames.push(`data: ${ev.data}\n\n`);
        }
      }
    },
    end() {},
    usage: () => usage,
  };
}

export function anthropicPassthrough(): Framer {
  let usage: Usage = { promptTokens: null, completionTokens: null };
  let tokenSeen = false;
  return {
    push(events, step) {
      for (const ev of events) {
        if (tokenSeen && ev.event === 'content_block_delta' && !MAY_MATTER.test(ev.data)) {
          step.frames.push(`event: ${ev.event}\ndata: ${ev.data}\n\n`);
          continue;
        }
        const e = parse(ev.data);
        if (!e) continue;
        const err = streamErrorOf(e);
        if (err) throw err;
        if (e.type === 'message_start') {
          const u = ((e.message as Json | undefined)?.usage ?? {}) as Json;
          usage = {
            promptTokens: anthropicPromptTokens(u),
            completionTokens: num(u.output_tokens),
          };
        } else if (e.type === 'message_delta') {
          const u = (e.usage ?? {}) as Json;
          usage = {
            promptTokens: anthropicPromptTokens(u) ?? usage.promptTokens,
            completionTokens: num(u.output_tokens) ?? usage.completionTokens,
            ...speculativeOf(u),
          };
        }
        if (
          e.type === 'content_block_delta' ||
          e.type === 'message_delta' ||
          e.type === 'message_stop'
        )
          step.token = tokenSeen = true;
        step.frames.push(`event: ${ev.event ?? String(e.type)}\ndata: ${ev.data}\n\n`);
      }
    },
    end() {},
    usage: () => usage,
  };
}
