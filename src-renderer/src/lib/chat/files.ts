// Text and code files attached to a chat message: read as UTF-8 (binary and oversized files refused),
// kept with the message, and sent to the model as a fenced block headed by the file's name.

export interface ChatFile {
  name: string;
  text: string;
  bytes: number;
  /** Tokens of its block: the model's own count, or an estimate when `estimated`. */
  tokens: number;
  estimated: boolean;
}

/** Per file: a larger text is rarely meant for a local model's window, and SQLite keeps each copy. */
export const MAX_FILE_BYTES = 512 * 1024;
export const MAX_FILES = 8;

const LANGUAGES: Record<string, string> = {
  ts: 'ts',
  tsx: 'tsx',
  js: 'js',
  mjs: 'js',
  cjs: 'js',
  jsx: 'jsx',
  py: 'python',
  rb: 'ruby',
  rs: 'rust',
  go: 'go',
  java: 'java',
  kt: 'kotlin',
  swift: 'swift',
  c: 'c',
  h: 'c',
  cpp: 'cpp',
  cc: 'cpp',
  hpp: 'cpp',
  cs: 'csharp',
  sh: 'sh',
  bash: 'bash',
  zsh: 'zsh',
  json: 'json',
  yaml: 'yaml',
  yml: 'yaml',
  toml: 'toml',
  xml: 'xml',
  html: 'html',
  css: 'css',
  svelte: 'svelte',
  sql: 'sql',
  md: 'markdown',
  csv: 'csv',
};

/** The fence's info string: the language a file's extension names, else none. */
export function fenceLanguage(name: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase();
  return (ext && LANGUAGES[ext]) ?? '';
}

/**
 * The file as the model reads it: a heading with its name, then its text in a fence longer than any run
 * of backticks inside it, so the file's own fences cannot end the block early.
 */
export function fileBlock(name: string, text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  const body = text.endsWith('\n') ? text : `${text}\n`;
  return `File: ${name}\n${fence}${fenceLanguage(name)}\n${body}${fence}`;
}

/** A user message's text for the model: its attached files' blocks, then what the user wrote. */
export function withFiles(content: string, files?: readonly Pick<ChatFile, 'name' | 'text'>[]) {
  if (!files?.length) return content;
  return [...files.map((f) => fileBlock(f.name, f.text)), content]
    .filter((p) => p !== '')
    .join('\n\n');
}

/** A rough count for when no tokenizer is at hand (about four characters a token in English and code). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Why the bytes are not a text file, or null: a NUL byte or invalid UTF-8 means binary. */
export function binaryReason(bytes: Uint8Array): string | null {
  if (bytes.includes(0)) return 'is a binary file; only text and code files can be attached';
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return null;
  } catch {
    return 'is not UTF-8 text; only text and code files can be attached';
  }
}

/** Reads one picked, pasted or dropped file as text (its count still to be made), or says why not. */
export async function readTextFile(file: File): Promise<Omit<ChatFile, 'tokens' | 'estimated'>> {
  if (file.size > MAX_FILE_BYTES)
    throw new Error(
      `is ${formatSize(file.size)}; files larger than ${formatSize(MAX_FILE_BYTES)} cannot be attached`,
    );
  const bytes = new Uint8Array(await file.arrayBuffer());
  const why = binaryReason(bytes);
  if (why) throw new Error(why);
  const text = new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, '');
  return { name: file.name || 'pasted.txt', text, bytes: file.size };
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** "1,234 tokens" or "≈1,234 tokens" for an estimate. */
export function tokenLabel(tokens: number, estimated: boolean): string {
  return `${estimated ? '≈' : ''}${tokens.toLocaleString('en-US')} token${tokens === 1 ? '' : 's'}`;
}
