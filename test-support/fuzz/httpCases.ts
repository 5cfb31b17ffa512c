// Generated hostile HTTP requests for the local API: a well-formed request for a random endpoint, then
// one to three mutations of its body, its JSON text, its headers, its method or its path.
import { caseSeed, Rng } from './prng.ts';
import {
  anyValue,
  CANARY,
  deepText,
  EDGE_NUMBERS,
  hugeString,
  ODD_MODEL_NAMES,
  PROTO_NAMES,
  toJsonText,
  wrongTypeFor,
} from './values.ts';

export interface HttpCase {
  index: number;
  endpoint: string;
  method: string;
  /** Sent as written (latin1 bytes): it may hold bad percent-encoding or raw non-ASCII. */
  path: string;
  headers: Array<[string, string | Buffer]>;
  body: Buffer | null;
  /** The mutations applied, for the failure report. */
  mutations: string[];
  /**
   * The request breaks HTTP framing itself (bad method token, bad chunking, oversized headers): Node's
   * parser may answer 400/413/414/431 with no body before the API sees it.
   */
  wire: boolean;
  /** The declared body is longer than what is sent: the client gives up; no answer is owed. */
  truncatedBody: boolean;
  /**
   * The token budget itself was fuzzed (absent, null, huge): a valid request may then generate to the end
   * of the context window. The client stops waiting after a shorter deadline and hangs up instead.
   */
  mayRunLong: boolean;
  /**
   * Why a request must be refused (4xx) even when the rest of it is valid: the rules (a tool
   * without its function; a caller's own chat template or tokenizer arguments). Null when no rule applies.
   */
  mustRefuse: string | null;
}

export interface HttpCaseOptions {
  /** Models the fixture cache has, all text-only (a picture sent to one must be refused); a valid request
   * names one of these. */
  models: string[];
  /** Bodies past this many bytes are refused by the gateway (413). */
  maxBodyBytes: number;
}

interface EndpointDef {
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: (rng: Rng, o: HttpCaseOptions) => string;
  body?: (rng: Rng, o: HttpCaseOptions) => Record<string, unknown>;
  /** Fields worth mutating (beyond those the base body holds). */
  fields: string[];
  /** Fields holding a token budget: forced small unless one of them is what is fuzzed. */
  budget: string[];
  /** Caps a nested budget (Ollama's options.num_predict) when the budget was not what is fuzzed. */
  cap?: (body: Record<string, unknown>) => void;
  /**
   * Applied after every mutation: what keeps a fuzzed request from writing or fetching anything even if
   * it turns out valid (store: false; names a pull, delete or copy cannot find).
   */
  pin?: (body: Record<string, unknown>) => void;
}

const NUMERIC = [
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'top_k',
  'min_p',
  'seed',
  'n',
  'presence_penalty',
  'frequency_penalty',
  'repetition_penalty',
  'logprobs',
  'top_logprobs',
  'reasoning_budget',
];
const OPENAI_FIELDS = [
  'model',
  'messages',
  'stream',
  'stream_options',
  'stop',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'logit_bias',
  'chat_template_kwargs',
  'reasoning_effort',
  'stop_token_ids',
  'user',
  'tool_format',
  ...NUMERIC,
];
const ANTHROPIC_FIELDS = [
  'model',
  'messages',
  'system',
  'max_tokens',
  'stream',
  'stop_sequences',
  'temperature',
  'top_p',
  'top_k',
  'tools',
  'tool_choice',
  'thinking',
  'metadata',
  'chat_template_kwargs',
];

const userText = (rng: Rng) =>
  rng.pick(['Say hi.', 'Count to three.', 'What is 2+2?', 'Name a fruit.']) + ` ${CANARY}`;

/** A 1x1 PNG, a PNG cut short and bytes that are no image: what a picture in a request may carry. */
const PNG_1PX =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC';
const IMAGE_BASE64 = [PNG_1PX, PNG_1PX, PNG_1PX.slice(0, 40), 'bm90IGFuIGltYWdl', '%%%'];
/** Image URLs: data URLs good and bad, and addresses no fetch may reach (the fuzz models are text-only, so
 * each must be refused before any fetch). */
const IMAGE_URLS = [
  `data:image/png;base64,${PNG_1PX}`,
  `data:image/png;base64,${PNG_1PX}`,
  'data:image/gif;base64,R0lGODlhAQABAAAAACw=',
  'data:text/plain;base64,aGk=',
  'data:image/png;base64,',
  'http://127.0.0.1:9/x.png',
  'http://169.254.169.254/latest/meta-data',
  'file:///etc/passwd',
  'ftp://example.invalid/a.png',
];
/** Share of chat bodies that carry a picture in their protocol's own shape. */
const IMAGE_SHARE = 0.25;

function imagePart(rng: Rng, shape: 'openai' | 'anthropic' | 'responses'): Record<string, unknown> {
  const url = rng.pick(IMAGE_URLS);
  if (shape === 'openai')
    return { type: 'image_url', image_url: { url, detail: rng.pick(['auto', 'low']) } };
  if (shape === 'responses') return { type: 'input_image', image_url: url, detail: 'auto' };
  return rng.chance(0.5)
    ? {
        type: 'image',
        source: { type: 'base64', media_type: 'image/png', data: rng.pick(IMAGE_BASE64) },
      }
    : { type: 'image', source: { type: 'url', url } };
}

/** A user turn with text and one or two pictures, in the shape of the protocol. */
function imageContent(
  rng: Rng,
  shape: 'openai' | 'anthropic' | 'responses',
): Array<Record<string, unknown>> {
  const text =
    shape === 'responses'
      ? { type: 'input_text', text: userText(rng) }
      : { type: 'text', text: userText(rng) };
  const parts = Array.from({ length: rng.int(1, 2) }, () => imagePart(rng, shape));
  return rng.chance(0.5) ? [text, ...parts] : [...parts, text];
}

const ollamaImages = (rng: Rng) =>
  Array.from({ length: rng.int(1, 2) }, () => rng.pick(IMAGE_BASE64));

function chatMessages(rng: Rng): Array<Record<string, unknown>> {
  const msgs: Array<Record<string, unknown>> = [];
  if (rng.chance(0.3)) msgs.push({ role: 'system', content: `Be brief. ${CANARY}` });
  msgs.push({ role: 'user', content: userText(rng) });
  return msgs;
}

const RESPONSES_FIELDS = [
  'model',
  'input',
  'instructions',
  'max_output_tokens',
  'temperature',
  'top_p',
  'tools',
  'tool_choice',
  'previous_response_id',
  'store',
  'stream',
  'text',
  'reasoning',
  'include',
  'metadata',
  'parallel_tool_calls',
  'truncation',
  'user',
  'background',
  'conversation',
];
const OLLAMA_FIELDS = [
  'model',
  'messages',
  'stream',
  'options',
  'format',
  'keep_alive',
  'think',
  'tools',
];

/** Ollama's budget lives in options.num_predict. */
function capOllama(body: Record<string, unknown>): void {
  const o = body.options;
  if (typeof o === 'object' && o !== null && !Array.isArray(o)) {
    const opts = o as Record<string, unknown>;
    opts.num_predict = Math.min(4, Number(opts.num_predict) || 4);
  }
}

/** Names no pull can fetch (no slash, so not a Hub repo id) and no delete or copy can find. */
const UNKNOWN_NAMES = [
  'nope-missing',
  'llama3',
  'constructor',
  '__proto__',
  'toString',
  '',
  ' ',
  'x:latest',
];

function pinUnknownNames(body: Record<string, unknown>): void {
  for (const k of ['model', 'name', 'source'])
    if (typeof body[k] === 'string' && /[/\\]|orchard|random|scripted/i.test(body[k]))
      body[k] = 'nope-missing';
}

export const ENDPOINTS: EndpointDef[] = [
  {
    name: 'GET /v1/models',
    method: 'GET',
    path: () => '/v1/models',
    fields: [],
    budget: [],
  },
  {
    name: 'GET /v1/models/{id}',
    method: 'GET',
    path: (rng, o) => `/v1/models/${encodeURIComponent(rng.pick(o.models))}`,
    fields: [],
    budget: [],
  },
  {
    name: 'POST /v1/chat/completions',
    method: 'POST',
    path: () => '/v1/chat/completions',
    body: (rng, o) => ({
      model: rng.pick(o.models),
      messages: rng.chance(IMAGE_SHARE)
        ? [{ role: 'user', content: imageContent(rng, 'openai') }]
        : chatMessages(rng),
      max_tokens: rng.int(1, 4),
      temperature: 0,
      ...(rng.chance(0.3) ? { stream: true } : {}),
    }),
    fields: OPENAI_FIELDS,
    budget: ['max_tokens', 'max_completion_tokens'],
  },
  {
    name: 'POST /v1/completions',
    method: 'POST',
    path: () => '/v1/completions',
    body: (rng, o) => ({
      model: rng.pick(o.models),
      prompt: `Once upon a time ${CANARY}`,
      max_tokens: rng.int(1, 4),
      temperature: 0,
      ...(rng.chance(0.3) ? { stream: true } : {}),
    }),
    fields: ['prompt', 'echo', 'suffix', 'best_of', ...OPENAI_FIELDS],
    budget: ['max_tokens'],
  },
  {
    name: 'POST /v1/embeddings',
    method: 'POST',
    path: () => '/v1/embeddings',
    body: (rng, o) => ({ model: rng.pick(o.models), input: `embed me ${CANARY}` }),
    fields: ['model', 'input', 'encoding_format', 'dimensions', 'user'],
    budget: [],
  },
  {
    name: 'POST /v1/messages',
    method: 'POST',
    path: () => '/v1/messages',
    body: (rng, o) => ({
      model: rng.pick(o.models),
      max_tokens: rng.int(1, 4),
      temperature: 0,
      messages: [
        rng.chance(IMAGE_SHARE)
          ? { role: 'user', content: imageContent(rng, 'anthropic') }
          : { role: 'user', content: userText(rng) },
      ],
      ...(rng.chance(0.3) ? { system: `Be brief. ${CANARY}` } : {}),
      ...(rng.chance(0.3) ? { stream: true } : {}),
    }),
    fields: ANTHROPIC_FIELDS,
    budget: ['max_tokens'],
  },
  {
    name: 'POST /v1/messages/count_tokens',
    method: 'POST',
    path: () => '/v1/messages/count_tokens',
    body: (rng, o) => ({
      model: rng.pick(o.models),
      messages: [{ role: 'user', content: userText(rng) }],
    }),
    fields: ANTHROPIC_FIELDS,
    budget: [],
  },
  {
    name: 'POST /v1/responses',
    method: 'POST',
    path: () => '/v1/responses',
    body: (rng, o) => ({
      model: rng.pick(o.models),
      input: rng.chance(IMAGE_SHARE)
        ? [{ role: 'user', content: imageContent(rng, 'responses') }]
        : rng.chance(0.5)
          ? userText(rng)
          : [{ role: 'user', content: [{ type: 'input_text', text: userText(rng) }] }],
      max_output_tokens: rng.int(1, 4),
      temperature: 0,
      store: false,
      ...(rng.chance(0.3) ? { instructions: `Be brief. ${CANARY}` } : {}),
      ...(rng.chance(0.3) ? { stream: true } : {}),
    }),
    fields: RESPONSES_FIELDS,
    budget: ['max_output_tokens'],
    // Stored responses are rows: the fuzzer never asks for one (an id it looks up is never there).
    pin: (b) => void (b.store = false),
  },
  {
    name: 'GET|DELETE /v1/responses/{id}',
    method: 'GET',
    path: (rng) =>
      `/v1/responses/${rng.pick(['resp_0', 'resp_' + 'f'.repeat(48), 'constructor', '__proto__', '%E0%A4%A', '..%2F..', ''])}${rng.pick(['', '', '/input_items', '/input_items?limit=-1&after=%', '/x'])}`,
    fields: [],
    budget: [],
  },
  {
    name: 'POST /api/chat',
    method: 'POST',
    path: () => '/api/chat',
    body: (rng, o) => ({
      model: rng.pick(o.models),
      messages: rng.chance(IMAGE_SHARE)
        ? [{ role: 'user', content: userText(rng), images: ollamaImages(rng) }]
        : chatMessages(rng),
      stream: rng.pick([false, true, undefined]),
      options: { num_predict: rng.int(1, 4), temperature: 0 },
    }),
    fields: OLLAMA_FIELDS,
    budget: ['options'],
    cap: capOllama,
  },
  {
    name: 'POST /api/generate',
    method: 'POST',
    path: () => '/api/generate',
    body: (rng, o) => ({
      model: rng.pick(o.models),
      prompt: userText(rng),
      ...(rng.chance(IMAGE_SHARE) ? { images: ollamaImages(rng) } : {}),
      stream: rng.pick([false, true, undefined]),
      options: { num_predict: rng.int(1, 4), temperature: 0 },
    }),
    fields: [
      ...OLLAMA_FIELDS,
      'prompt',
      'system',
      'template',
      'context',
      'raw',
      'suffix',
      'images',
    ],
    budget: ['options'],
    cap: capOllama,
  },
  {
    name: 'GET /api/{tags,ps,version}',
    method: 'GET',
    path: (rng) => rng.pick(['/api/tags', '/api/ps', '/api/version', '/api']),
    fields: [],
    budget: [],
  },
  {
    name: 'POST /api/show',
    method: 'POST',
    path: () => '/api/show',
    body: (rng, o) => ({
      model: rng.pick(o.models),
      ...(rng.chance(0.3) ? { verbose: true } : {}),
    }),
    fields: ['model', 'name', 'verbose'],
    budget: [],
  },
  {
    name: 'POST /api/embed',
    method: 'POST',
    path: (rng) => rng.pick(['/api/embed', '/api/embeddings']),
    body: (rng, o) => ({ model: rng.pick(o.models), input: `embed ${CANARY}`, prompt: CANARY }),
    fields: ['model', 'input', 'prompt', 'truncate', 'options', 'keep_alive', 'dimensions'],
    budget: [],
  },
  {
    name: 'DELETE /api/delete',
    method: 'DELETE',
    path: () => '/api/delete',
    body: (rng) => ({ model: rng.pick(UNKNOWN_NAMES) }),
    fields: ['model', 'name'],
    budget: [],
    pin: pinUnknownNames,
  },
  {
    name: 'POST /api/{pull,copy}',
    method: 'POST',
    path: (rng) => rng.pick(['/api/pull', '/api/copy']),
    body: (rng) => ({
      model: rng.pick(UNKNOWN_NAMES),
      source: rng.pick(UNKNOWN_NAMES),
      destination: rng.pick([
        'fuzz-copy',
        '',
        'a'.repeat(300),
        'orchard-fixtures/random-llama',
        'x/y',
      ]),
      ...(rng.chance(0.5) ? { stream: rng.pick([true, false]) } : {}),
    }),
    fields: ['model', 'name', 'source', 'destination', 'stream', 'insecure'],
    budget: [],
    // A name a pull could fetch or a delete or copy could find would download, delete or write: never.
    pin: pinUnknownNames,
  },
  {
    name: 'POST /api/{push,create,blobs}',
    method: 'POST',
    path: (rng) => rng.pick(['/api/push', '/api/create', '/api/blobs/sha256:' + '0'.repeat(64)]),
    body: (rng) => ({ model: rng.pick(UNKNOWN_NAMES), from: 'x', files: {} }),
    fields: ['model', 'name', 'from', 'files', 'modelfile'],
    budget: [],
    pin: pinUnknownNames,
  },
  {
    name: 'GET /api/v0/models[/{id}]',
    method: 'GET',
    path: (rng, o) =>
      rng.pick([
        '/api/v0/models',
        `/api/v0/models/${encodeURIComponent(rng.pick(o.models))}`,
        '/api/v0/models/%E0%A4%A',
        '/api/v0/models/constructor',
        '/api/v0/models/__proto__',
        '/api/v0',
        '/api/v1/models',
      ]),
    fields: [],
    budget: [],
  },
];

/** Paths a careless router trips over: bad percent-encoding, traversal, prototype names, odd slashes. */
const ODD_PATHS = [
  '/v1/models/%E0%A4%A',
  '/v1/models/%',
  '/v1/models/%ZZ',
  '/v1/models/%00',
  '/v1/models/%C0%AF',
  '/v1/models/%ED%A0%80',
  '/v1/models/..%2F..%2Fetc%2Fpasswd',
  '/v1/models/constructor',
  '/v1/models/__proto__',
  '/v1/models/hasOwnProperty',
  '/v1/models/',
  '/v1/models//',
  '/v1/models/a/b/c',
  '/v1/models/' + 'm'.repeat(5000),
  '/v1/models?limit=-1&after_id=%',
  '/v1/models/orchard-fixtures%2Frandom-llama',
  '/v1',
  '/v1/',
  '/v1/%',
  '/v1/%E0%A4%A',
  '/v1/chat',
  '/v1/chat/completions/',
  '/v1/chat/completions/x',
  '/v1/chat%2Fcompletions',
  '/v1//chat/completions',
  '/v1/chat/completions?stream=%',
  '/v1/messages/',
  '/v1/messages/%',
  '/v1/messages/count_tokens/extra',
  '/v1/messagesX',
  '/v1/responses',
  '/v1/embeddings/..',
  '/v1/../v1/models',
  '/v1/./models',
  '/V1/MODELS',
  '/v1/models#frag',
  '/v1/\u00e9',
  '/v1/models/\u00ff\u00fe',
  '/api/tags',
  '/api/chat',
  '/%E0%A4%A',
  '/%',
  '/..%2F..%2Fetc%2Fpasswd',
  '/index.html%00',
  '*',
  // Absolute-form targets, which Node's parser passes on as they are.
  'http://[/v1/models',
  'http://127.0.0.1/v1/models/%',
  'http://evil.example/v1/chat/completions',
  'http://127.0.0.1:99999/v1/models',
];

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/jsonx',
  '',
  ';;;',
  'application/json, text/html',
];

export interface HttpGenerator {
  make(index: number): HttpCase;
}

export function httpCases(seed: number, o: HttpCaseOptions): HttpGenerator {
  return { make: (index) => makeCase(new Rng(caseSeed(seed, index, 1)), index, o) };
}

function makeCase(rng: Rng, index: number, o: HttpCaseOptions): HttpCase {
  const odd = rng.chance(0.07);
  const ep = rng.pick(ENDPOINTS);
  const c: HttpCase = {
    index,
    endpoint: odd ? 'odd path' : ep.name,
    method: ep.method,
    path: odd ? rng.pick(ODD_PATHS) : ep.path(rng, o),
    headers: [
      ['host', '127.0.0.1'],
      ['user-agent', 'orchard-fuzz'],
    ],
    body: null,
    mutations: [],
    wire: false,
    truncatedBody: false,
    mayRunLong: false,
    mustRefuse: null,
  };
  if (odd) {
    c.mutations.push('odd path');
    c.method = rng.pick(['GET', 'POST', 'GET']);
  }
  let body: Record<string, unknown> | null = ep.body && !odd ? ep.body(rng, o) : null;
  if (odd && c.method === 'POST')
    body = { model: rng.pick(o.models), messages: chatMessages(rng), max_tokens: 2 };
  let text: string | null = null;
  let bytes: Buffer | null = null;
  let touchedBudget = false;

  const nMut = rng.weighted([
    [55, 1],
    [30, 2],
    [15, 3],
  ]);
  for (let m = 0; m < nMut; m++) {
    const family = rng.weighted<'body' | 'text' | 'header' | 'method' | 'hostile'>([
      [body ? 34 : 0, 'body'],
      [body ? 14 : 0, 'text'],
      [body ? 22 : 0, 'hostile'],
      [22, 'header'],
      [8, 'method'],
    ]);
    if (family === 'body' && body) {
      touchedBudget ||= mutateBody(rng, body, ep, o, c.mutations);
    } else if (family === 'hostile' && body) {
      touchedBudget ||= hostileField(rng, body, ep, c.mutations);
    } else if (family === 'text' && body) {
      // Serialised now; later body mutations no longer apply (they would see stale text).
      if (!odd) ep.pin?.(body);
      text ??= toJsonText(body);
      const r = mutateText(rng, text, c.mutations);
      if (typeof r === 'string') text = r;
      else bytes = r;
      body = null;
    } else if (family === 'header') {
      mutateHeaders(rng, c);
    } else if (family === 'method') {
      mutateMethod(rng, c);
    }
  }

  c.mayRunLong = touchedBudget;
  // Node's parser refuses a request line with raw non-ASCII bytes before the API sees it.
  if (/[^\x21-\x7e]/.test(c.path)) c.wire = true;
  if (body) {
    // Where a mutated request is still valid and generates, it must stay cheap.
    if (!touchedBudget) {
      for (const f of ep.budget)
        if (f in body && typeof body[f] !== 'object') body[f] = Math.min(4, Number(body[f]) || 4);
      ep.cap?.(body);
    }
    if (!odd) ep.pin?.(body);
    // Only as a POST: the same body on an OPTIONS preflight or a GET is answered for what that method is.
    if (!odd && c.method === 'POST') c.mustRefuse = refusalRule(ep.name, body, o);
    text = toJsonText(body);
  }
  if (bytes === null && text !== null) bytes = Buffer.from(text, 'utf8');
  if (bytes !== null && c.method !== 'GET' && c.method !== 'HEAD') {
    c.body = bytes;
    if (
      !c.headers.some(([k]) => k.toLowerCase() === 'content-type') &&
      !c.mutations.includes('no content-type')
    )
      c.headers.push(['content-type', 'application/json']);
  } else if (bytes !== null && rng.chance(0.2)) {
    c.body = bytes;
    c.mutations.push(`body on ${c.method}`);
  }
  finishFraming(rng, c);
  return c;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An image part still whole after the mutations, in any of the three protocols' shapes. */
function wholeImagePart(p: unknown): boolean {
  if (!isObj(p)) return false;
  if (p.type === 'image_url') return isObj(p.image_url) && typeof p.image_url.url === 'string';
  if (p.type === 'input_image') return typeof p.image_url === 'string';
  return p.type === 'image' && isObj(p.source) && typeof p.source.type === 'string';
}

/** A user turn (or Ollama generate body) that still carries a picture the generator put there. */
function carriesImage(endpoint: string, body: Record<string, unknown>): boolean {
  const strings = (v: unknown) =>
    Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string');
  if (endpoint === 'POST /api/generate') return strings(body.images);
  const turns = endpoint === 'POST /v1/responses' ? body.input : body.messages;
  if (!Array.isArray(turns)) return false;
  return turns.some(
    (m) =>
      isObj(m) &&
      m.role === 'user' &&
      (endpoint === 'POST /api/chat'
        ? strings(m.images)
        : Array.isArray(m.content) && m.content.some(wholeImagePart)),
  );
}

/** The rule that makes this body one to refuse, whatever else it holds (see HttpCase.mustRefuse). */
function refusalRule(
  endpoint: string,
  body: Record<string, unknown>,
  o: HttpCaseOptions,
): string | null {
  // Every fuzz model is text-only: a picture sent to one is refused, never silently dropped (issue 17).
  if (
    typeof body.model === 'string' &&
    o.models.includes(body.model) &&
    carriesImage(endpoint, body)
  )
    return 'an image sent to a text-only model';
  if (endpoint !== 'POST /v1/chat/completions' && endpoint !== 'POST /v1/messages') return null;
  const tools = body.tools;
  if (
    Array.isArray(tools) &&
    tools.length > 0 &&
    tools.every((t) => JSON.stringify(t) === '{"type":"function"}')
  )
    return 'a tool without its function';
  const kwargs = body.chat_template_kwargs;
  if (typeof kwargs === 'object' && kwargs !== null && !Array.isArray(kwargs)) {
    if (Object.hasOwn(kwargs, 'chat_template'))
      return "chat_template_kwargs.chat_template (the caller's own template)";
    if (Object.hasOwn(kwargs, 'tokenize'))
      return 'chat_template_kwargs.tokenize (a tokenizer argument)';
  }
  return null;
}

/** A generic mutation of one field: wrong type, huge, deep, edge number, removed, or an unknown field. */
function mutateBody(
  rng: Rng,
  body: Record<string, unknown>,
  ep: EndpointDef,
  o: HttpCaseOptions,
  log: string[],
): boolean {
  const fields = [...new Set([...Object.keys(body), ...ep.fields])];
  const field = rng.pick(fields);
  const budget = Math.min(o.maxBodyBytes / 4, 3_000_000);
  const kind = rng.pick([
    'wrong type',
    'wrong type',
    'huge string',
    'deep',
    'edge number',
    'edge number',
    'remove',
    'unknown field',
    'unknown field',
    'any value',
    'model name',
    'messages',
  ]);
  switch (kind) {
    case 'wrong type':
      body[field] = wrongTypeFor(rng, body[field], budget);
      break;
    case 'huge string':
      body[field] = hugeString(rng, budget);
      break;
    case 'deep':
      body[field] = deepText(rng);
      break;
    case 'edge number': {
      const numeric = NUMERIC.filter((n) => ep.fields.includes(n));
      const f = numeric.length && rng.chance(0.7) ? rng.pick(numeric) : field;
      body[f] = rng.pick(EDGE_NUMBERS);
      log.push(`${kind} ${f}`);
      return ep.budget.includes(f);
    }
    case 'remove':
      delete body[field];
      break;
    case 'unknown field': {
      const name = rng.pick([
        ...PROTO_NAMES.filter((n) => n !== '__proto__'),
        'x',
        'ünïcödé',
        '',
        'a'.repeat(300),
      ]);
      body[name] = anyValue(rng, budget);
      log.push(`unknown field ${JSON.stringify(name.slice(0, 20))}`);
      return false;
    }
    case 'any value':
      body[field] = anyValue(rng, budget);
      break;
    case 'model name':
      body.model = rng.pick(ODD_MODEL_NAMES);
      log.push(`model ${JSON.stringify(String(body.model).slice(0, 30))}`);
      return false;
    case 'messages':
      mutateMessages(rng, body, budget, log);
      return false;
  }
  // The model name is kept in audit rows by design: the canary must not ride in it.
  if (field === 'model' && toJsonText(body.model ?? null).includes(CANARY))
    body.model = 'no-canary';
  log.push(`${kind} ${field}`);
  return ep.budget.includes(field);
}

function mutateMessages(
  rng: Rng,
  body: Record<string, unknown>,
  budget: number,
  log: string[],
): void {
  const msgs = Array.isArray(body.messages)
    ? (body.messages as Array<Record<string, unknown>>)
    : [];
  const m = msgs[0] ?? {};
  const kind = rng.pick([
    'role',
    'content type',
    'content parts',
    'many messages',
    'empty',
    'tool message',
    'huge content',
    'missing content',
  ]);
  switch (kind) {
    case 'role':
      m.role = rng.pick([
        'wizard',
        '',
        'USER',
        'tool',
        'function',
        'developer',
        'system',
        5,
        null,
        '__proto__',
      ]);
      break;
    case 'content type':
      m.content = wrongTypeFor(rng, m.content, budget);
      break;
    case 'content parts':
      m.content = [
        rng.pick([
          { type: 'text' },
          { type: 'text', text: 5 },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: '!!!' } },
          { type: 'tool_use', id: '', name: '', input: 'x' },
          { type: 'tool_result', content: [{ type: 'nope' }] },
          { type: 'thinking' },
          { type: 'unknown-block', text: CANARY },
          { type: 'document', source: { type: 'url', url: 'http://169.254.169.254/' } },
          null,
          [],
        ]),
        { type: 'text', text: CANARY },
      ];
      break;
    case 'many messages':
      body.messages = Array.from({ length: rng.pick([200, 5_000, 50_000]) }, (_, i) => ({
        role: i % 2 ? 'assistant' : 'user',
        content: i === 0 ? CANARY : 'x',
      }));
      log.push(`messages ${kind}`);
      return;
    case 'empty':
      body.messages = rng.pick<unknown>([[], [{}], [null], [[]], {}]);
      log.push(`messages ${kind}`);
      return;
    case 'tool message':
      msgs.push(
        rng.pick([
          { role: 'tool', content: CANARY },
          { role: 'tool', tool_call_id: 5, content: [] },
          {
            role: 'assistant',
            tool_calls: [
              { id: 'c', type: 'function', function: { name: 'f', arguments: '{not json' } },
            ],
          },
          { role: 'assistant', tool_calls: [{ type: 'function' }] },
          { role: 'assistant', tool_calls: 'x' },
        ]),
      );
      break;
    case 'huge content':
      m.content = hugeString(rng, budget);
      break;
    case 'missing content':
      delete m.content;
      break;
  }
  if (msgs.length && !msgs.includes(m)) msgs.unshift(m);
  log.push(`messages ${kind}`);
}

/** The hostile values the issue names, and their relatives, for the fields they hit. */
function hostileField(
  rng: Rng,
  body: Record<string, unknown>,
  ep: EndpointDef,
  log: string[],
): boolean {
  const anthropic = ep.name.includes('/v1/messages');
  const choices: Array<[string, () => boolean | void]> = [
    ['seed -1', () => void (body.seed = -1)],
    [
      'seed huge',
      () => void (body.seed = rng.pick<unknown>([2 ** 64, -(2 ** 64), 2 ** 63, 2 ** 32])),
    ],
    ['model proto', () => void (body.model = rng.pick(PROTO_NAMES))],
    ['tools without function', () => void (body.tools = [{ type: 'function' }])],
    [
      'tools odd',
      () =>
        void (body.tools = rng.pick<unknown>([
          [{}],
          [{ type: 'function', function: {} }],
          [{ type: 'function', function: { name: '' } }],
          [{ type: 'function', function: { name: 'f', parameters: 'x' } }],
          [{ type: 'function', function: { name: 'f', parameters: deepText(rng) } }],
          [{ name: 'f', input_schema: { type: 'object', properties: { a: { $ref: '#' } } } }],
          [{ name: 'x'.repeat(300), input_schema: {} }],
          Array.from({ length: 2_000 }, (_, i) => ({
            type: 'function',
            function: { name: `f${i}` },
          })),
          'tools',
        ])),
    ],
    [
      'tool_choice odd',
      () =>
        void (body.tool_choice = rng.pick<unknown>([
          'required',
          'any',
          { type: 'function' },
          { type: 'function', function: { name: 'missing' } },
          { type: 'tool', name: 'missing' },
          { type: 'tool' },
          5,
        ])),
    ],
    [
      'chat_template_kwargs',
      () =>
        void (body.chat_template_kwargs = rng.pick<unknown>([
          {
            chat_template:
              '{% for a in range(99999999) %}{% for b in range(99999999) %}x{% endfor %}{% endfor %}',
          },
          { chat_template: `{{ ${CANARY} }}` },
          { tokenize: true, add_generation_prompt: false },
          { enable_thinking: 'yes' },
          { enable_thinking: true },
          { tools: 'x', documents: [1, 2] },
          { __proto__x: 1, constructor: {} },
          'kwargs',
        ])),
    ],
    ['chat_template top-level', () => void (body.chat_template = '{{ raise_exception("x") }}')],
    [
      'max_tokens huge',
      () => {
        body[anthropic ? 'max_tokens' : rng.pick(['max_tokens', 'max_completion_tokens'])] =
          rng.pick([2 ** 31 - 1, 2 ** 53, 1e9, 1e308]);
        return true;
      },
    ],
    [
      'max_tokens bad',
      () => {
        body.max_tokens = rng.pick<unknown>([0, -1, 1.5, '4', null, true, -(2 ** 31)]);
        return true;
      },
    ],
    [
      'response_format',
      () =>
        void (body.response_format = rng.pick<unknown>([
          {
            type: 'json_schema',
            json_schema: { name: 'x', schema: { type: 'string', pattern: '(a+)+$' } },
          },
          { type: 'json_schema', json_schema: { name: 'x', schema: { $ref: '#' } } },
          {
            type: 'json_schema',
            json_schema: { name: 'x', schema: { type: 'object', properties: deepText(rng) } },
          },
          {
            type: 'json_schema',
            json_schema: { name: 'x', schema: { type: 'array', minItems: 1e9 } },
          },
          { type: 'json_schema', json_schema: {} },
          { type: 'json_schema' },
          { type: 'json_object' },
          { type: 'regex', pattern: '[' },
          { type: 'grammar', grammar: 'root ::= root' },
          'json',
        ])),
    ],
    [
      'stop',
      () =>
        void (body[anthropic ? 'stop_sequences' : 'stop'] = rng.pick<unknown>([
          Array.from({ length: 10_000 }, (_, i) => `s${i}`),
          [''],
          ['x'.repeat(100_000)],
          [null],
          '',
          5,
        ])),
    ],
    [
      'logit_bias',
      () =>
        void (body.logit_bias = rng.pick<unknown>([
          Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [String(i), 100])),
          { '-1': 1 },
          { '99999999999': 1 },
          { abc: 1 },
          { '0': 1e308 },
          [],
        ])),
    ],
    ['n', () => void (body.n = rng.pick<unknown>([0, 2, 128, -1, 1e9]))],
    [
      'keep_alive',
      () =>
        void (body.keep_alive = rng.pick<unknown>([0, -1, '0s', '-1m', 1e308, 'forever', '5m'])),
    ],
    [
      'ollama options',
      () => {
        body.options = rng.pick<unknown>([
          { num_ctx: -1 },
          { num_ctx: 2 ** 31 },
          { seed: -1 },
          { num_predict: -2 },
          { num_predict: -1 },
          { stop: [''] },
          { temperature: -5, top_k: -1 },
          'opts',
        ]);
        // Only a fuzzed num_predict (or options that are not an object) may generate at length.
        return (
          typeof body.options !== 'object' || Object.hasOwn(body.options as object, 'num_predict')
        );
      },
    ],
    [
      'format',
      () =>
        void (body.format = rng.pick<unknown>([
          'json',
          'xml',
          { type: 'string', pattern: '(a+)+$' },
          { $ref: '#' },
          5,
        ])),
    ],
    [
      'logprobs',
      () => void Object.assign(body, { logprobs: true, top_logprobs: rng.pick([-1, 0, 20, 1e6]) }),
    ],
    [
      'stream_options',
      () =>
        void Object.assign(body, {
          stream: true,
          stream_options: rng.pick([{ include_usage: 'yes' }, null, [], { x: 1 }]),
        }),
    ],
    ['stream type', () => void (body.stream = rng.pick<unknown>(['true', 1, null, {}, 'false']))],
    [
      'thinking',
      () =>
        void (body.thinking = rng.pick<unknown>([
          { type: 'enabled', budget_tokens: -1 },
          { type: 'enabled', budget_tokens: 1e12 },
          { type: 'enabled' },
          { type: 'wat' },
          true,
        ])),
    ],
    [
      'reasoning_effort',
      () => void (body.reasoning_effort = rng.pick<unknown>(['max', '', 5, 'high'])),
    ],
    [
      'prompt tokens',
      () =>
        void (body.prompt = rng.pick<unknown>([
          [-1],
          [2 ** 40],
          [],
          [[1, 2]],
          [0.5],
          Array.from({ length: 100_000 }, () => 1),
        ])),
    ],
    [
      'stop_token_ids',
      () => void (body.stop_token_ids = rng.pick<unknown>([[-1], [2 ** 40], 'x', [null]])),
    ],
    [
      'system',
      () =>
        void (body.system = rng.pick<unknown>([
          [{ type: 'text' }],
          [{ type: 'image' }],
          5,
          { text: CANARY },
          [CANARY],
        ])),
    ],
    [
      'metadata',
      () =>
        void (body.metadata = rng.pick<unknown>([
          { user_id: 5 },
          'x',
          { user_id: 'u', extra: deepText(rng) },
        ])),
    ],
    [
      'temperature',
      () => void (body.temperature = rng.pick<unknown>([-1, 2.0001, 1e308, 0, '0', null])),
    ],
    [
      'top_k/top_p',
      () =>
        void Object.assign(body, {
          top_k: rng.pick([-1, 0, 2 ** 40]),
          top_p: rng.pick([0, -0.1, 1.1, 1]),
        }),
    ],
    [
      'embeddings input',
      () =>
        void (body.input = rng.pick<unknown>([
          [],
          [[]],
          [[-1]],
          [''],
          Array.from({ length: 5_000 }, () => CANARY),
          5,
          [null],
        ])),
    ],
  ];
  const [name, apply] = rng.pick(choices);
  log.push(name);
  return apply() === true;
}

/** Breaks the JSON text (or its bytes): truncation, garbage, BOM, invalid UTF-8, duplicate and proto keys. */
function mutateText(rng: Rng, text: string, log: string[]): string | Buffer {
  const kind = rng.pick([
    'truncate',
    'trailing garbage',
    'byte flip',
    'bom',
    'comments',
    'single quotes',
    'trailing comma',
    'invalid utf-8',
    'lone surrogate',
    'nul escapes',
    'duplicate keys',
    '__proto__ key',
    'not an object',
    'empty',
    'whitespace',
    'deep raw',
    'two documents',
  ]);
  log.push(kind);
  const cut = rng.int(0, Math.max(0, text.length - 1));
  switch (kind) {
    case 'truncate':
      return text.slice(0, cut);
    case 'trailing garbage':
      return text + rng.pick(['}', ']', 'x', '\u0000', ',', ' null', '{"a":1}']);
    case 'byte flip': {
      const b = Buffer.from(text, 'utf8');
      for (let i = rng.int(1, 4); i > 0 && b.length; i--)
        b[rng.int(0, b.length - 1)] = rng.int(0, 255);
      return b;
    }
    case 'bom':
      return '\ufeff' + text;
    case 'comments':
      return text.replace('{', '{/* c */ // x\n');
    case 'single quotes':
      return text.replaceAll('"', "'");
    case 'trailing comma':
      return text.replace(/}$/, ',}');
    case 'invalid utf-8': {
      // Bad bytes inside a string value, where a decoder must replace or refuse them.
      const at = text.indexOf(CANARY);
      const bad = Buffer.from(
        rng.pick([
          [0xff],
          [0xfe, 0xff],
          [0xc0, 0x80],
          [0xed, 0xa0, 0x80],
          [0xe0, 0xa4],
          [0xf4, 0x90, 0x80, 0x80],
          [0x80],
        ]),
      );
      const pos = at >= 0 ? at : cut;
      return Buffer.concat([
        Buffer.from(text.slice(0, pos), 'utf8'),
        bad,
        Buffer.from(text.slice(pos), 'utf8'),
      ]);
    }
    case 'lone surrogate':
      return text.replace(CANARY, `\\ud800${CANARY}\\udfff`);
    case 'nul escapes':
      return text.replace(CANARY, `\\u0000${CANARY}\\u0000`);
    case 'duplicate keys':
      return text.replace(/^{/, '{"model":5,"messages":null,"max_tokens":-1,');
    case '__proto__ key':
      return text.replace(
        /^{/,
        rng.pick([
          '{"__proto__":{"model":"x","max_tokens":1e9,"stream":true,"polluted":true},',
          '{"constructor":{"prototype":{"polluted":true}},',
          '{"__proto__":null,',
        ]),
      );
    case 'not an object':
      return rng.pick(['null', '[]', '"text"', '123', 'true', '[{}]', `["${CANARY}"]`]);
    case 'empty':
      return '';
    case 'whitespace':
      return ' \n\t'.repeat(rng.int(1, 50_000));
    case 'deep raw':
      return deepText(rng).text;
    default:
      return text + text;
  }
}

function setHeader(c: HttpCase, name: string, value: string | Buffer): void {
  c.headers = c.headers.filter(([k]) => k.toLowerCase() !== name.toLowerCase());
  c.headers.push([name, value]);
}

function mutateHeaders(rng: Rng, c: HttpCase): void {
  const kind = rng.pick([
    'content-type',
    'no content-type',
    'content-type twice',
    'authorization',
    'authorization twice',
    'x-api-key',
    'anthropic-version',
    'anthropic headers',
    'host',
    'no host',
    'host twice',
    'origin',
    'accept',
    'many headers',
    'huge header',
    'bad header bytes',
    'content-encoding',
    'expect',
    'connection upgrade',
  ]);
  c.mutations.push(kind);
  switch (kind) {
    case 'content-type':
      setHeader(c, 'content-type', rng.pick(CONTENT_TYPES));
      break;
    case 'no content-type':
      c.headers = c.headers.filter(([k]) => k.toLowerCase() !== 'content-type');
      break;
    case 'content-type twice':
      c.headers.push(
        ['content-type', 'application/json'],
        ['Content-Type', rng.pick(CONTENT_TYPES)],
      );
      break;
    case 'authorization':
      setHeader(
        c,
        rng.pick(['authorization', 'Authorization', 'AUTHORIZATION']),
        rng.pick([
          'Bearer',
          'Bearer ',
          'Bearer x',
          'Basic dXNlcjpwYXNz',
          'bearer ' + 'k'.repeat(8_000),
          'Bearer orch_' + 'a'.repeat(40),
          'Bearer \u00ff\u00fe',
          'Token abc',
          'Bearer a b c',
        ]),
      );
      break;
    case 'authorization twice':
      c.headers.push(['authorization', 'Bearer one'], ['authorization', 'Bearer two']);
      break;
    case 'x-api-key':
      c.headers.push([
        'x-api-key',
        rng.pick(['', ' ', 'sk-ant-x', 'k'.repeat(8_000), 'orch_bogus']),
      ]);
      if (rng.chance(0.3)) c.headers.push(['x-api-key', 'second']);
      break;
    case 'anthropic-version':
      c.headers.push([
        'anthropic-version',
        rng.pick(['2023-06-01', '', 'garbage', '9999-99-99', 'v'.repeat(4_000)]),
      ]);
      if (rng.chance(0.3)) c.headers.push(['anthropic-version', '2023-01-01']);
      break;
    case 'anthropic headers':
      c.headers.push(
        ['anthropic-beta', rng.pick(['', 'prompt-caching-2024-07-31', 'x,y,,z', '\u00ff'])],
        ['anthropic-dangerous-direct-browser-access', 'true'],
      );
      break;
    case 'host':
      setHeader(
        c,
        'host',
        rng.pick([
          'evil.example',
          'localhost:99999',
          '127.0.0.1:abc',
          '[::1]',
          '[::1',
          'localhost.',
          '127.0.0.1.nip.io',
          '0x7f.0.0.1',
          '',
          'h'.repeat(3_000),
        ]),
      );
      break;
    case 'no host':
      c.headers = c.headers.filter(([k]) => k.toLowerCase() !== 'host');
      c.wire = true;
      break;
    case 'host twice':
      c.headers.push(['host', rng.pick(['127.0.0.1', 'evil.example'])]);
      c.wire = true;
      break;
    case 'origin':
      c.headers.push([
        'origin',
        rng.pick(['https://evil.example', 'null', 'http://127.0.0.1', '', 'file://']),
      ]);
      break;
    case 'accept':
      c.headers.push(['accept', rng.pick(['text/event-stream', 'image/png', '*/*;q=x', ''])]);
      break;
    case 'many headers':
      for (let i = 0; i < rng.pick([100, 500, 3_000]); i++) c.headers.push([`x-fuzz-${i}`, 'v']);
      c.wire = true;
      break;
    case 'huge header':
      c.headers.push(['x-fuzz-huge', 'h'.repeat(rng.pick([9_000, 20_000, 100_000]))]);
      c.wire = true;
      break;
    case 'bad header bytes':
      c.headers.push([
        rng.pick(['x-fuzz', 'bad name', 'x:colon', '\u00ffname']),
        Buffer.from(rng.pick([[0x00], [0xff, 0xfe], [0x0d, 0x41], [0x7f]])),
      ]);
      c.wire = true;
      break;
    case 'content-encoding':
      c.headers.push(['content-encoding', rng.pick(['gzip', 'br', 'deflate', 'x-unknown'])]);
      break;
    case 'expect':
      c.headers.push(['expect', rng.pick(['100-continue', 'nonsense'])]);
      // Node answers an unknown expectation itself (417), before the API sees it.
      c.wire = true;
      break;
    case 'connection upgrade':
      c.headers.push(['connection', 'upgrade'], ['upgrade', rng.pick(['websocket', 'h2c', 'x'])]);
      c.wire = true;
      break;
  }
}

function mutateMethod(rng: Rng, c: HttpCase): void {
  const m = rng.pick([
    'GET',
    'POST',
    'PUT',
    'DELETE',
    'PATCH',
    'HEAD',
    'OPTIONS',
    'TRACE',
    'post',
    'FOO',
    'CONNECT',
  ]);
  c.mutations.push(`method ${m}`);
  c.method = m;
  // Unknown or lower-case method tokens, and CONNECT, are refused by Node's parser.
  if (m === 'post' || m === 'FOO' || m === 'CONNECT' || m === 'TRACE') c.wire = true;
}

/** Content-Length / chunking as sent, sometimes wrong on purpose. */
function finishFraming(rng: Rng, c: HttpCase): void {
  if (c.body === null) return;
  const kind = rng.weighted([
    [88, 'length'],
    [5, 'chunked'],
    [2, 'bad chunks'],
    [2, 'short length'],
    [2, 'long length'],
    [1, 'both'],
  ]);
  if (kind === 'length') {
    c.headers.push(['content-length', String(c.body.length)]);
    return;
  }
  c.mutations.push(kind);
  if (kind === 'chunked' || kind === 'both') {
    c.headers.push(['transfer-encoding', 'chunked']);
    if (kind === 'both') {
      c.headers.push(['content-length', String(c.body.length)]);
      c.wire = true;
    }
    const parts: Buffer[] = [];
    for (let i = 0; i < c.body.length; i += 65_536) {
      const piece = c.body.subarray(i, i + 65_536);
      parts.push(Buffer.from(piece.length.toString(16) + '\r\n'), piece, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from('0\r\n\r\n'));
    c.body = Buffer.concat(parts);
    return;
  }
  if (kind === 'bad chunks') {
    c.headers.push(['transfer-encoding', 'chunked']);
    c.body = Buffer.concat([
      Buffer.from('zz\r\n'),
      c.body.subarray(0, 100),
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    c.wire = true;
    return;
  }
  if (kind === 'short length') {
    // The rest of the body is read as the next request on the connection.
    c.headers.push(['content-length', String(Math.floor(c.body.length / 2))]);
    // Node may answer that garbage (400, no body) before the API answers the first request.
    c.wire = true;
    return;
  }
  c.headers.push(['content-length', String(c.body.length + rng.int(1, 1000))]);
  c.truncatedBody = true;
}
