// `orchard run MODEL [PROMPT]`: a chat in the terminal with the running serve, streamed over its
// /v1/chat/completions like any client; with a PROMPT or piped stdin, one answer to stdout and exit.
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { Config } from '../config/index.ts';
import { CoreError, isCoreError, toErrorPayload } from '../errors/index.ts';
import { MemoryStatus } from '#shared/contract/memory.ts';
import { connectRpc } from '../rpc/index.ts';
import { streamChat, type ChatTurn } from './chatStream.ts';
import { loadLine } from './loadProgress.ts';
import { requireServe, rpcUrl, type ServeInfo } from './serveFile.ts';

export const RUN_USAGE = `  run MODEL [PROMPT]            Chat with a model (streamed; /bye or Ctrl-D leaves, Ctrl-C stops an
                                answer); with PROMPT or piped stdin: one answer to stdout`;

type Out = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
export interface RunStreams {
  /** null: no input at all (an embedding caller); a PROMPT is then required. */
  stdin: (NodeJS.ReadableStream & { isTTY?: boolean }) | null;
  stdout: Out;
  stderr: Out;
}

const HELP = `Commands:
  /bye          leave (Ctrl-D too; Ctrl-C twice at an empty prompt)
  /clear        forget the conversation so far
  /reasoning    show the last answer's reasoning in full
  /?            this help
Ctrl-C stops an answer in progress.`;

interface Style {
  dim(s: string): string;
}
// NO_COLOR (no-color.org) turns the escapes off; a terminal is needed for them to mean anything.
const styleFor = (env: NodeJS.ProcessEnv): Style =>
  env.NO_COLOR ? { dim: (s) => s } : { dim: (s) => `\x1b[2m${s}\x1b[22m` };

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

/**
 * One answer on the terminal: content streamed to `out`; reasoning, when there is a terminal to show
 * it on (`status`), as one dim line rewritten in place ("Thinking… <latest words>"), collapsed when
 * the answer starts to "Thought for 1.2s: <its first words>". Without a terminal it is not shown.
 */
class AnswerView {
  content = '';
  reasoning = '';
  private started = false;
  private statusShown = false;
  private collapsed = false;
  private reasoningSince = 0;
  private ended = false;

  constructor(
    private readonly out: Out,
    private readonly status: Out | null,
    private readonly style: Style,
  ) {}

  private fit(text: string): string {
    const width = Math.max(20, (this.status?.columns ?? 80) - 1);
    return text.length > width ? `${text.slice(0, width - 1)}…` : text;
  }
  private showStatus(text: string): void {
    if (!this.status) return;
    this.status.write(`\r\x1b[2K${this.style.dim(this.fit(text))}`);
    this.statusShown = true;
  }
  private clearStatus(): void {
    if (this.statusShown) this.status!.write('\r\x1b[2K');
    this.statusShown = false;
  }
  private collapse(): void {
    // Reasoning that came after the answer began is summed up below the answer, at its end.
    if (this.collapsed || !this.reasoning || (this.content && !this.ended)) return;
    this.collapsed = true;
    this.clearStatus();
    const secs = ((Date.now() - this.reasoningSince) / 1000).toFixed(1);
    const words = oneLine(this.reasoning.slice(0, 1000));
    this.status?.write(`${this.style.dim(this.fit(`Thought for ${secs}s: ${words}`))}\n`);
  }

  /** Nothing of the answer has arrived yet (a just-in-time load may be under way). */
  get waiting(): boolean {
    return !this.started && !this.ended;
  }

  /** A model load under way before the first token (shown only until the answer starts). */
  loading(line: string): void {
    if (this.waiting) this.showStatus(line);
  }

  reasoningDelta(text: string): void {
    this.started = true;
    if (!this.reasoning) this.reasoningSince = Date.now();
    this.reasoning += text;
    // Reasoning after the answer began (rare) is kept for /reasoning, not drawn over the answer's line.
    if (this.content) return;
    const width = Math.max(20, (this.status?.columns ?? 80) - 12);
    // Only the tail is looked at: a long reasoning must not cost its whole length at every token.
    this.showStatus(`Thinking… ${oneLine(this.reasoning.slice(-2 * width)).slice(-width)}`);
  }

  contentDelta(text: string): void {
    this.collapse();
    this.clearStatus();
    this.started = true;
    this.out.write(text);
    this.content += text;
  }

  end(stopped: boolean): void {
    this.ended = true;
    this.clearStatus();
    if (this.content && !this.content.endsWith('\n')) this.out.write('\n');
    this.collapse();
    if (stopped && this.status) this.status.write(`${this.style.dim('(answer stopped)')}\n`);
  }
}

interface Session {
  info: ServeInfo;
  model: string;
  style: Style;
}

/** Streams one answer into `view`; an abort (Ctrl-C) ends it as stopped rather than as an error. */
async function answer(
  s: Session,
  messages: ChatTurn[],
  view: AnswerView,
  signal: AbortSignal,
): Promise<{ stopped: boolean }> {
  let stopped = false;
  try {
    const stream = streamChat(
      `http://127.0.0.1:${s.info.port}`,
      s.info.token,
      { model: s.model, messages },
      signal,
    );
    for await (const d of stream) {
      if (d.kind === 'reasoning') view.reasoningDelta(d.text);
      else if (d.kind === 'content') view.contentDelta(d.text);
    }
  } catch (e) {
    if (!signal.aborted) {
      view.end(false);
      throw e;
    }
    stopped = true;
  }
  view.end(stopped);
  return { stopped };
}

/** While an answer waits for its first token, serve's memory status is asked for this often. */
const WAITING_POLL_MS = 300;

/**
 * Shows serve's load progress (its memoryStatus events, as `orchard load` does) on the view of the
 * moment, for the model the first request loads just in time. serve polls the sidecar slowly until it
 * knows of a load, and a load the API started is not announced to it, so while an answer waits for its
 * first token the status is also asked for here. Without RPC there is no line, and no failure.
 */
async function watchLoads(s: Session, current: () => AnswerView | null): Promise<() => void> {
  try {
    const rpc = await connectRpc(rpcUrl(s.info));
    const show = (data: unknown): void => {
      const loads = MemoryStatus.safeParse(data).data?.loads ?? [];
      const row = loads.find((l) => l.id === s.model) ?? loads[0];
      if (row) current()?.loading(loadLine(row.id, row));
    };
    rpc.onEvent((event, data) => {
      if (event === 'memoryStatus') show(data);
    });
    let asking = false;
    const timer = setInterval(() => {
      if (asking || !current()?.waiting) return;
      asking = true;
      rpc
        .call('memory.status')
        .then(show, () => {})
        .finally(() => (asking = false));
    }, WAITING_POLL_MS);
    return () => {
      clearInterval(timer);
      rpc.close();
    };
  } catch {
    return () => {};
  }
}

async function readAll(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

async function oneShot(
  s: Session,
  prompt: string,
  streams: RunStreams,
  onInterrupt: (fn: () => void) => () => void,
): Promise<number> {
  const controller = new AbortController();
  const unhook = onInterrupt(() => controller.abort());
  // Reasoning and load progress go to stderr, and only to a terminal: stdout carries the answer alone.
  const status = streams.stderr.isTTY ? streams.stderr : null;
  const view = new AnswerView(streams.stdout, status, s.style);
  const stopWatching = status ? await watchLoads(s, () => view) : () => {};
  try {
    const r = await answer(s, [{ role: 'user', content: prompt }], view, controller.signal);
    return r.stopped ? 130 : 0;
  } finally {
    unhook();
    stopWatching();
  }
}

/** Readline's echo goes through this, so keys typed while an answer streams do not garble it. */
function muteable(target: Out): { stream: Writable; mute(on: boolean): void } {
  let muted = false;
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!muted) target.write(chunk);
      cb();
    },
  });
  Object.defineProperty(stream, 'columns', { get: () => target.columns });
  Object.defineProperty(stream, 'isTTY', { value: target.isTTY });
  return { stream, mute: (on) => (muted = on) };
}

function chat(s: Session, streams: RunStreams): Promise<number> {
  const { stdout } = streams;
  const status = stdout.isTTY ? stdout : streams.stderr.isTTY ? streams.stderr : null;
  const echo = muteable(stdout);
  const rl = readline.createInterface({
    input: streams.stdin!,
    output: echo.stream,
    terminal: true,
    historySize: 200,
  });
  rl.setPrompt('>>> ');
  const history: ChatTurn[] = [];
  let lastReasoning = '';
  let view: AnswerView | null = null;
  let busy: AbortController | null = null;
  let closed = false;
  let rlClosed = false;
  let ctrlC = false;
  let code = 0;
  const say = (text: string): void => void stdout.write(`${text}\n`);
  // Drops whatever sits in readline's buffer (typed during an answer, or before Ctrl-C).
  const clearInput = (): void => {
    echo.mute(true);
    rl.write(null, { ctrl: true, name: 'e' });
    rl.write(null, { ctrl: true, name: 'u' });
    echo.mute(false);
  };

  return new Promise<number>((resolve) => {
    let stopWatching: () => void = () => {};
    const finish = (): void => {
      stopWatching();
      resolve(code);
    };
    void (status ? watchLoads(s, () => view) : Promise.resolve(() => {})).then((stop) => {
      stopWatching = stop;
      if (closed && !busy) stop();
    });

    const turn = async (text: string): Promise<void> => {
      history.push({ role: 'user', content: text });
      busy = new AbortController();
      echo.mute(true);
      view = new AnswerView(stdout, status, s.style);
      try {
        const r = await answer(s, history, view, busy.signal);
        lastReasoning = view.reasoning;
        // A stopped answer stays in the conversation as far as it got; one stopped before a word is dropped.
        if (r.stopped && !view.content) history.pop();
        else history.push({ role: 'assistant', content: view.content });
      } catch (e) {
        history.pop();
        const p = toErrorPayload(e);
        streams.stderr.write(`Error: ${p.message}\n`);
        // A model that does not exist will not start existing: leave with an error, as `orchard run` would.
        if (isCoreError(e) && e.code === 'not_found' && history.length === 0) {
          code = 1;
          closed = true;
        }
      } finally {
        busy = null;
        view = null;
        if (closed) {
          if (!rlClosed) rl.close();
          finish();
        } else {
          clearInput();
          stdout.write('\n');
          rl.prompt();
        }
      }
    };

    // Lines that arrive together (pasted text) are one message: readline gives them in one tick.
    const pasted: string[] = [];
    rl.on('line', (line) => {
      if (busy) return; // typed while an answer streams: ignored (and cleared after it)
      ctrlC = false;
      pasted.push(line);
      if (pasted.length === 1) setImmediate(() => submit(pasted.splice(0).join('\n')));
    });
    const submit = (line: string): void => {
      if (closed) return;
      const text = line.trim();
      if (!text) return rl.prompt();
      if (/^\/[a-z?]+$/i.test(text)) {
        switch (text.toLowerCase()) {
          case '/bye':
            return rl.close();
          case '/clear':
            history.length = 0;
            lastReasoning = '';
            say('Cleared the conversation.');
            break;
          case '/reasoning':
            say(
              lastReasoning
                ? s.style.dim(lastReasoning.trim())
                : '(no reasoning in the last answer)',
            );
            break;
          case '/?':
          case '/help':
            say(HELP);
            break;
          default:
            say(`Unknown command '${text}'. Type /? for help.`);
        }
        return rl.prompt();
      }
      void turn(text);
    };
    rl.on('SIGINT', () => {
      if (busy) return busy.abort();
      if (rl.line) {
        clearInput();
        ctrlC = false;
        stdout.write('^C\n');
        return rl.prompt();
      }
      if (ctrlC) return rl.close();
      ctrlC = true;
      stdout.write(`^C\n${s.style.dim('(Ctrl-C again, Ctrl-D or /bye to leave)')}\n`);
      rl.prompt();
    });
    rl.on('close', () => {
      rlClosed = true;
      if (closed && !busy) return;
      closed = true;
      stdout.write('\n');
      if (busy) busy.abort();
      else finish();
    });

    say(s.style.dim(`Chatting with ${s.model} · /? for help · /bye or Ctrl-D to leave`));
    rl.prompt();
  });
}

export async function runChat(
  argv: string[],
  ctx: {
    config: Config;
    streams: RunStreams;
    env: NodeJS.ProcessEnv;
    onInterrupt?: (fn: () => void) => () => void;
  },
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: {} });
  } catch (e) {
    throw new CoreError('usage', (e as Error).message);
  }
  const [model, ...words] = parsed.positionals;
  if (!model) throw new CoreError('usage', 'run takes a MODEL (and optionally a PROMPT)');
  const s: Session = {
    info: requireServe(ctx.config.serveFile),
    model,
    style: styleFor(ctx.env),
  };
  const { stdin } = ctx.streams;
  const prompt = words.join(' ');
  if (!prompt && stdin?.isTTY) return chat(s, ctx.streams);
  // Piped text follows the PROMPT when both are given (`orchard run M "Summarize:" < notes.md`).
  const piped = stdin && !stdin.isTTY ? await readAll(stdin) : '';
  const text = [prompt, piped.trim()].filter(Boolean).join('\n\n');
  if (!text) throw new CoreError('usage', 'no prompt: give a PROMPT or pipe text into orchard run');
  return oneShot(s, text, ctx.streams, ctx.onInterrupt ?? (() => () => {}));
}
