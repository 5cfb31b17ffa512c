// The well-formed streams that run while the fuzzer does: temperature-0 streams over the OpenAI chat,
// legacy completions and Anthropic messages endpoints, reduced to their text for comparison with solo runs.

export interface StreamSpec {
  name: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export function wellFormedStreams(model: string, maxTokens: number): StreamSpec[] {
  const json = { 'content-type': 'application/json' };
  return [
    {
      name: 'openai chat A',
      path: '/v1/chat/completions',
      headers: json,
      body: {
        model,
        stream: true,
        temperature: 0,
        max_tokens: maxTokens,
        messages: [{ role: 'user', content: 'Tell me a story about a fox.' }],
      },
    },
    {
      name: 'openai chat B',
      path: '/v1/chat/completions',
      headers: json,
      body: {
        model,
        stream: true,
        temperature: 0,
        max_tokens: maxTokens,
        stream_options: { include_usage: true },
        messages: [
          { role: 'system', content: 'You count.' },
          { role: 'user', content: '1 2 3 4' },
        ],
      },
    },
    {
      name: 'anthropic messages',
      path: '/v1/messages',
      headers: { ...json, 'anthropic-version': '2023-06-01' },
      body: {
        model,
        stream: true,
        temperature: 0,
        max_tokens: maxTokens,
        messages: [{ role: 'user', content: 'the quick brown fox' }],
      },
    },
    {
      name: 'openai completions',
      path: '/v1/completions',
      headers: json,
      body: {
        model,
        stream: true,
        temperature: 0,
        max_tokens: maxTokens,
        prompt: 'Once upon a time',
      },
    },
  ];
}

/** Streams one request; returns its text and finish reason, or throws with what went wrong. */
export async function runStream(base: string, s: StreamSpec): Promise<string> {
  const res = await fetch(`${base}${s.path}`, {
    method: 'POST',
    headers: s.headers,
    body: JSON.stringify(s.body),
  });
  const raw = await res.text();
  if (res.status !== 200) throw new Error(`${s.name}: HTTP ${res.status}: ${raw.slice(0, 300)}`);
  let text = '';
  let finish = '';
  let sawEnd = false;
  for (const line of raw.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]') {
      sawEnd = true;
      continue;
    }
    const ev = JSON.parse(data) as Record<string, unknown>;
    if (ev.error !== undefined || ev.type === 'error')
      throw new Error(`${s.name}: error event ${data.slice(0, 300)}`);
    const choice = (ev.choices as Array<Record<string, unknown>> | undefined)?.[0];
    if (choice) {
      const delta = choice.delta as { content?: string } | undefined;
      text += delta?.content ?? (choice.text as string | undefined) ?? '';
      if (typeof choice.finish_reason === 'string') finish = choice.finish_reason;
    }
    if (ev.type === 'content_block_delta') text += (ev.delta as { text?: string }).text ?? '';
    if (ev.type === 'message_delta')
      finish = (ev.delta as { stop_reason?: string }).stop_reason ?? finish;
    if (ev.type === 'message_stop') sawEnd = true;
  }
  if (!sawEnd) throw new Error(`${s.name}: the stream did not end properly: ${raw.slice(-300)}`);
  return `${text}\u0000${finish}`;
}
