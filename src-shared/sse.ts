// Server-sent events: an incremental parser over a byte stream, used by the gateway on upstream
// responses and by the chat page on the gateway's. It holds only the unfinished tail, never the whole.

export interface SseEvent {
  event?: string;
  data: string;
}

/** Feed byte chunks; get back the events completed so far. */
export function sseParser() {
  const decoder = new TextDecoder();
  let buf = '';
  const parseBlock = (block: string): SseEvent | null => {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0 && event === undefined) return null;
    return event === undefined ? { data: data.join('\n') } : { event, data: data.join('\n') };
  };
  const drain = (): SseEvent[] => {
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r?\n\r?\n/.exec(buf);
      if (!m) break;
      const block = buf.slice(0, m.index);
      buf = buf.slice(m.index + m[0].length);
      const e = parseBlock(block);
      if (e) out.push(e);
    }
    return out;
  };
  return {
    push(chunk: Uint8Array): SseEvent[] {
      buf += decoder.decode(chunk, { stream: true });
      return drain();
    },
    /** The stream ended: a last event without its blank line still counts. */
    end(): SseEvent[] {
      buf += decoder.decode();
      const out = drain();
      if (buf.trim() !== '') {
        const e = parseBlock(buf);
        if (e) out.push(e);
      }
      buf = '';
      return out;
    },
  };
}
