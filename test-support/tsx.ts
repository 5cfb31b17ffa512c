// Test helper: argv to run a TypeScript file in a plain node process with the tsx loader.
// The tsx CLI wraps a second node process, so a SIGKILL sent to it would miss the real one.
export function tsxArgv(file: string, ...args: string[]): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', file, ...args]];
}
