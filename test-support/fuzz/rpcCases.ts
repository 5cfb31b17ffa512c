// Generated hostile traffic for the RPC WebSocket (/rpc): refused handshakes, unauthenticated garbage, and
// malformed or wrong-typed frames after authentication, plus the runner that judges each socket's answers.
import WebSocket from 'ws';
import { contract } from '#shared/contract/index.ts';
import { ClientFrame } from '#shared/contract/wire.ts';
import { caseSeed, Rng } from './prng.ts';
import { anyValue, CANARY, deepText, hugeString, PROTO_NAMES, Raw, toJsonText } from './values.ts';

/**
 * Methods that only read: these may be called with params that happen to be valid. Every other method
 * gets params that cannot validate (an unknown key, or not an object), so nothing is changed, started,
 * restarted or fetched.
 */
export const READ_ONLY_METHODS = new Set([
  'app.status',
  'sidecar.status',
  'profiles.list',
  'profiles.get',
  'models.list',
  'memory.status',
  'config.export',
  'conversations.list',
  'conversations.messages',
  'settings.get',
  'logs.tail',
  'apiKeys.list',
  'routing.list',
  'routing.explain',
  'audit.query',
  'audit.daily',
  'audit.exportCsv',
  'downloads.get',
  'downloads.list',
  'library.list',
]);

type Handshake =
  'query' | 'auth-frame' | 'none' | 'wrong-token' | 'foreign-origin' | 'foreign-host';

export interface RpcFrame {
  data: string | Buffer;
  binary: boolean;
  /** reply: an answer by `id`; malformed: an error with id null; none: no answer; closes: the socket ends. */
  expect: 'reply' | 'malformed' | 'none' | 'any' | 'closes';
  id?: number;
  /** The call may succeed (a read-only method); otherwise its reply must be an error. */
  mayResult?: boolean;
  /** An unknown method: the reply must be not_found. */
  unknownMethod?: boolean;
  /** Close codes that are a fair answer to this frame (1007 invalid UTF-8, 1009 too big). */
  closeCodes?: number[];
  what: string;
}

export interface RpcCase {
  index: number;
  handshake: Handshake;
  frames: RpcFrame[];
}

const METHODS = Object.keys(contract);
const SENTINEL_ID = 999_999;

export function rpcCases(seed: number): { make(index: number): RpcCase } {
  return { make: (index) => makeRpcCase(new Rng(caseSeed(seed, index, 2)), index) };
}

function makeRpcCase(rng: Rng, index: number): RpcCase {
  const handshake = rng.weighted<Handshake>([
    [45, 'query'],
    [30, 'auth-frame'],
    [15, 'none'],
    [4, 'wrong-token'],
    [3, 'foreign-origin'],
    [3, 'foreign-host'],
  ]);
  const frames: RpcFrame[] = [];
  if (handshake === 'wrong-token' || handshake === 'foreign-origin' || handshake === 'foreign-host')
    return { index, handshake, frames };
  const n = rng.int(1, 4);
  for (let i = 0; i < n; i++) {
    const f = handshake === 'none' ? unauthFrame(rng) : authedFrame(rng, i + 1);
    frames.push(f);
    if (f.expect === 'closes') break;
  }
  return { index, handshake, frames };
}

function text(v: unknown): string {
  return toJsonText(v);
}

function unauthFrame(rng: Rng): RpcFrame {
  const kind = rng.pick([
    'call',
    'garbage',
    'wrong token',
    'big',
    'invalid utf-8',
    'auth no token',
    'binary',
  ]);
  const frame = (data: string | Buffer, closeCodes: number[], binary = false): RpcFrame => ({
    data,
    binary,
    expect: 'closes',
    closeCodes,
    what: `unauthenticated ${kind}`,
  });
  switch (kind) {
    case 'call':
      return frame(text({ type: 'call', id: 1, method: rng.pick(METHODS), params: {} }), [4401]);
    case 'garbage':
      return frame(
        rng.pick(['{', 'null', '[]', '"auth"', '{"type":"auth"}', 'x'.repeat(100)]),
        [4401],
      );
    case 'wrong token':
      return frame(
        text({ type: 'auth', token: rng.pick(['', 'x', CANARY, '\u0000', 't'.repeat(3_000)]) }),
        [4401, 1009],
      );
    case 'big':
      return frame(
        text({ type: 'auth', token: 'x'.repeat(rng.pick([5_000, 100_000, 2_000_000])) }),
        [1009],
      );
    case 'invalid utf-8':
      return frame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), [1007]);
    case 'auth no token':
      return frame(text({ type: 'auth', token: 5 }), [4401]);
    default:
      return frame(rng.bytes(rng.int(1, 200)), [4401, 1007], true);
  }
}

function invalidParams(rng: Rng): unknown {
  if (rng.chance(0.6)) {
    const o: Record<string, unknown> = {};
    for (let i = rng.int(0, 3); i > 0; i--)
      o[
        rng.pick([
          'id',
          'model',
          'name',
          'repoId',
          'limit',
          'patch',
          'config',
          ...PROTO_NAMES.slice(2),
        ])
      ] = anyValue(rng, 200_000);
    // An unknown key: every input schema is strict, so this can never validate.
    o[`__fuzz_${rng.int(0, 999)}`] = anyValue(rng, 100_000);
    return o;
  }
  return rng.pick<unknown>([
    42,
    'params',
    [],
    [{}],
    true,
    -1,
    deepText(rng),
    hugeString(rng, 1_000_000),
    new Raw('1e400'),
  ]);
}

const READ_ONLY_PARAMS: unknown[] = [
  {},
  { id: 'constructor' },
  { id: '__proto__' },
  { model: 'constructor' },
  { model: 'orchard-fixtures/random-llama' },
  { limit: 5 },
  { limit: -1 },
  { level: 'error', limit: 3 },
  { withSecrets: true },
  { from: 0, to: 1e15 },
  { status: 'error' },
  undefined,
  null,
];

function authedFrame(rng: Rng, id: number): RpcFrame {
  const f = authedFrameOf(rng, id);
  // What the wire contract makes of the text decides the answer owed: a call by id, or "malformed" (id
  // null). Raw values (NaN, 0x10) or a missing `params` make a would-be call malformed.
  if ((f.expect === 'reply' || f.expect === 'any') && typeof f.data === 'string' && !f.binary) {
    let parsed: ReturnType<typeof ClientFrame.safeParse> | null = null;
    try {
      parsed = ClientFrame.safeParse(JSON.parse(f.data));
    } catch {
      // not JSON at all
    }
    if (!parsed?.success) return { ...f, expect: 'malformed', id: undefined };
    if (parsed.data.type === 'auth') return { ...f, expect: 'none' };
    if (!Number.isSafeInteger(parsed.data.id)) return { ...f, expect: 'any' };
    return { ...f, expect: 'reply', id: parsed.data.id };
  }
  return f;
}

function authedFrameOf(rng: Rng, id: number): RpcFrame {
  const kind = rng.weighted([
    [40, 'contract call'],
    [10, 'unknown method'],
    [25, 'malformed'],
    [8, 'odd id'],
    [5, 'auth again'],
    [6, 'big'],
    [3, 'invalid utf-8'],
    [3, 'binary'],
  ]);
  switch (kind) {
    case 'contract call': {
      const method = rng.pick(METHODS);
      const readOnly = READ_ONLY_METHODS.has(method);
      const params = readOnly && rng.chance(0.5) ? rng.pick(READ_ONLY_PARAMS) : invalidParams(rng);
      return {
        data: text({ type: 'call', id, method, params }),
        binary: false,
        expect: 'reply',
        id,
        mayResult: readOnly,
        what: `call ${method}`,
      };
    }
    case 'unknown method': {
      const method = rng.pick([
        ...PROTO_NAMES,
        '',
        'profiles.drop_all',
        'PROFILES.LIST',
        'profiles.list\u0000',
        'profiles.list ',
        'm'.repeat(10_000),
        'app.status.constructor',
        'dispatcher.call',
      ]);
      return {
        data: text({ type: 'call', id, method, params: {} }),
        binary: false,
        expect: 'reply',
        id,
        unknownMethod: true,
        what: `unknown method ${JSON.stringify(method.slice(0, 30))}`,
      };
    }
    case 'malformed': {
      const data = rng.pick<string>([
        '{',
        '',
        'null',
        '42',
        '[]',
        '"call"',
        '{"type":"call"}',
        `{"type":"call","id":${id},"method":5}`,
        `{"type":"call","id":"${id}","method":"app.status"}`,
        `{"type":"call","id":${id}.5,"method":"app.status"}`,
        `{"type":"cal","id":${id},"method":"app.status"}`,
        `{"type":"call","id":${id},"method":"app.status","params":{}}x`,
        `{"type":"call","id":NaN,"method":"app.status"}`,
        `{"__proto__":{"type":"call"},"id":${id}}`,
        deepText(rng).text,
        `{"type":"call","id":${id},"method":"app.status","params":${deepText(rng).text}}`,
      ]);
      // The last form is well-formed when the deep text is balanced: then it is a call with odd params.
      return {
        data,
        binary: false,
        expect: 'any',
        what: `malformed ${JSON.stringify(data.slice(0, 40))}`,
      };
    }
    case 'odd id': {
      const oddId = rng.pick<number | Raw>([
        -1,
        0,
        2 ** 53 + 2,
        1e300,
        -(2 ** 63),
        new Raw('1e400'),
      ]);
      return {
        data: text({ type: 'call', id: oddId, method: 'app.status', params: {} }),
        binary: false,
        expect: 'any',
        mayResult: true,
        what: `odd id ${oddId instanceof Raw ? oddId.text : oddId}`,
      };
    }
    case 'auth again':
      return {
        data: text({ type: 'auth', token: rng.pick(['wrong', '', CANARY]) }),
        binary: false,
        expect: 'none',
        what: 'auth again',
      };
    case 'big': {
      const method = rng.pick(METHODS);
      return {
        data: text({
          type: 'call',
          id,
          method,
          params: { [`__fuzz_big`]: hugeString(rng, 3_000_000), text: CANARY },
        }),
        binary: false,
        expect: 'reply',
        id,
        mayResult: false,
        what: `big call ${method}`,
      };
    }
    case 'invalid utf-8':
      return {
        data: Buffer.concat([
          Buffer.from(`{"type":"call","id":${id},"method":"`),
          Buffer.from([0xff, 0xc0]),
          Buffer.from('"}'),
        ]),
        binary: false,
        expect: 'closes',
        closeCodes: [1007],
        what: 'invalid utf-8 text frame',
      };
    default:
      return {
        data: rng.bytes(rng.int(1, 500)),
        binary: true,
        expect: 'any',
        what: 'binary garbage',
      };
  }
}

export interface RpcOutcome {
  failures: string[];
  /** Frames (or refused handshakes) sent: what counts toward the request total. */
  sent: number;
}

/** Runs one case on its own socket and judges every answer. */
export async function runRpcCase(
  port: number,
  token: string,
  c: RpcCase,
  timeoutMs: number,
): Promise<RpcOutcome> {
  const failures: string[] = [];
  const base = `ws://127.0.0.1:${port}/rpc`;
  const url =
    c.handshake === 'query' || c.handshake === 'foreign-origin' || c.handshake === 'foreign-host'
      ? `${base}?token=${encodeURIComponent(token)}`
      : c.handshake === 'wrong-token'
        ? `${base}?token=wrong-${CANARY}`
        : base;
  const headers: Record<string, string> = {};
  if (c.handshake === 'foreign-origin') headers.Origin = 'https://evil.example';
  if (c.handshake === 'foreign-host') headers.Host = `evil.example:${port}`;
  const ws = new WebSocket(url, { headers, maxPayload: 64 * 1024 * 1024 });
  ws.on('error', () => undefined);

  const frames: Array<Record<string, unknown>> = [];
  let closeCode: number | null = null;
  let refused: number | null = null;
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const w of waiters) w();
  };
  ws.on('message', (raw: Buffer) => {
    try {
      frames.push(JSON.parse(String(raw)) as Record<string, unknown>);
    } catch {
      failures.push(`server sent a frame that is not JSON: ${String(raw).slice(0, 200)}`);
    }
    poke();
  });
  ws.on('open', poke);
  ws.on('close', (code) => {
    closeCode = code;
    poke();
  });
  ws.on('unexpected-response', (_req, res) => {
    refused = res.statusCode ?? 0;
    res.resume();
    closeCode = -1;
    poke();
  });
  const until = (pred: () => boolean): Promise<boolean> =>
    new Promise((resolve) => {
      if (pred()) return resolve(true);
      const t = setTimeout(() => {
        waiters.delete(check);
        resolve(false);
      }, timeoutMs);
      const check = () => {
        if (pred()) {
          clearTimeout(t);
          waiters.delete(check);
          resolve(true);
        }
      };
      waiters.add(check);
    });

  const opened = await until(() => ws.readyState === WebSocket.OPEN || closeCode !== null);
  if (
    c.handshake === 'wrong-token' ||
    c.handshake === 'foreign-origin' ||
    c.handshake === 'foreign-host'
  ) {
    const want = c.handshake === 'wrong-token' ? 401 : 403;
    if (refused !== want)
      failures.push(
        `handshake ${c.handshake}: expected HTTP ${want}, got ${refused ?? (opened ? 'an open socket' : 'nothing')}`,
      );
    ws.terminate();
    return { failures, sent: 1 };
  }
  if (!opened || ws.readyState !== WebSocket.OPEN) {
    failures.push(
      `handshake ${c.handshake}: socket did not open (refused ${refused}, close ${closeCode})`,
    );
    ws.terminate();
    return { failures, sent: 1 };
  }
  let sent = 0;
  if (c.handshake === 'auth-frame') {
    ws.send(JSON.stringify({ type: 'auth', token }));
    if (
      !(await until(() => frames.some((f) => f.type === 'ready') || closeCode !== null)) ||
      closeCode !== null
    )
      failures.push(`auth frame: no ready (close ${closeCode})`);
  } else if (c.handshake === 'query') {
    await until(() => frames.some((f) => f.type === 'ready') || closeCode !== null);
  }

  for (const f of c.frames) {
    if (closeCode !== null) break;
    ws.send(f.data, { binary: f.binary });
    sent++;
  }

  if (c.handshake === 'none') {
    // Unauthenticated: the socket must close with a fair code, and nothing but a close may come back.
    const last = c.frames[c.frames.length - 1]!;
    const closed = await until(() => closeCode !== null);
    if (!closed)
      failures.push(`unauthenticated ${last.what}: socket still open after ${timeoutMs} ms`);
    else if (!c.frames.some((f) => f.closeCodes?.includes(closeCode!)))
      failures.push(
        `unauthenticated: closed with ${closeCode}, expected one of ${c.frames
          .map((f) => f.closeCodes)
          .flat()
          .join('/')}`,
      );
    const leaked = frames.filter((f) => f.type !== 'event');
    if (leaked.length)
      failures.push(`unauthenticated socket was answered: ${JSON.stringify(leaked).slice(0, 300)}`);
    ws.terminate();
    return { failures, sent };
  }

  const closes = c.frames.find((f) => f.expect === 'closes');
  const expectedIds = c.frames.filter((f) => f.expect === 'reply').map((f) => f.id!);
  if (!closes && closeCode === null) {
    ws.send(JSON.stringify({ type: 'call', id: SENTINEL_ID, method: 'app.status', params: {} }));
  }
  const byId = (id: number) =>
    frames.find((f) => f.id === id && (f.type === 'result' || f.type === 'error'));
  const done = await until(
    () =>
      closeCode !== null ||
      (!closes && expectedIds.every((id) => byId(id)) && byId(SENTINEL_ID) !== undefined),
  );
  if (closes) {
    if (closeCode === null) failures.push(`${closes.what}: socket still open`);
    else if (!closes.closeCodes!.includes(closeCode))
      failures.push(
        `${closes.what}: closed with ${closeCode}, expected ${closes.closeCodes!.join('/')}`,
      );
  } else if (!done) {
    const missing = [...expectedIds, SENTINEL_ID].filter((id) => !byId(id));
    failures.push(`no answer within ${timeoutMs} ms to the calls with ids ${missing.join(',')}`);
  } else if (closeCode !== null) {
    failures.push(
      `authenticated socket closed with ${closeCode} after ${c.frames.map((f) => f.what).join('; ')}`,
    );
  }

  for (const fr of frames) {
    if (fr.type === 'error') {
      const e = fr.error as { code?: unknown; message?: unknown } | undefined;
      if (typeof e?.code !== 'string' || typeof e.message !== 'string')
        failures.push(`error frame without {code, message}: ${JSON.stringify(fr).slice(0, 300)}`);
      else if (e.code === 'internal' || e.code.startsWith('sidecar'))
        failures.push(`error frame with code ${e.code}: ${e.message.slice(0, 300)}`);
    } else if (!['ready', 'result', 'event'].includes(String(fr.type))) {
      failures.push(`unknown frame type: ${JSON.stringify(fr).slice(0, 200)}`);
    }
  }
  const malformed = c.frames.filter((f) => f.expect === 'malformed').length;
  const nullErrors = frames.filter((f) => f.type === 'error' && f.id === null).length;
  if (!closes && done && nullErrors < malformed)
    failures.push(`${malformed} malformed frames but ${nullErrors} error frames with id null`);
  for (const f of c.frames) {
    if (f.expect !== 'reply') continue;
    const r = byId(f.id!);
    if (!r) continue;
    if (r.type === 'result' && !f.mayResult)
      failures.push(
        `${f.what} with params that cannot validate succeeded: ${JSON.stringify(r).slice(0, 200)}`,
      );
    if (f.unknownMethod && (r.error as { code?: string } | undefined)?.code !== 'not_found')
      failures.push(`${f.what}: expected not_found, got ${JSON.stringify(r).slice(0, 200)}`);
  }
  if (!closes && done && closeCode === null && byId(SENTINEL_ID)?.type !== 'result')
    failures.push(
      `app.status after the fuzz frames failed: ${JSON.stringify(byId(SENTINEL_ID)).slice(0, 200)}`,
    );
  ws.terminate();
  return { failures, sent };
}

export function describeRpcCase(c: RpcCase): string {
  const frames = c.frames
    .map((f) => {
      const d =
        typeof f.data === 'string'
          ? f.data
          : `<${f.binary ? 'binary' : 'text'} bytes ${f.data.subarray(0, 40).toString('hex')}>`;
      return `${f.what}: ${JSON.stringify(d.length > 200 ? `${d.slice(0, 200)}…(${d.length})` : d)}`;
    })
    .join(' ; ');
  return `rpc #${c.index} handshake=${c.handshake} frames: ${frames || '(none)'}`;
}
