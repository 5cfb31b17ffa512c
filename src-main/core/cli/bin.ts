// The `orchard` process (npm run orchard, the bin script): `run` and `logs` load only what they need
// (quick.ts), so a chat opens at once; every other command loads main.ts and with it the rest of core.
import { EXIT, stdio } from './io.ts';
import { QUICK_COMMANDS, runQuick } from './quick.ts';

async function main(argv: string[]): Promise<number> {
  const first = argv.findIndex((a) => !a.startsWith('-'));
  const cmd = first >= 0 ? argv[first]! : '';
  if (QUICK_COMMANDS.includes(cmd) && !argv.includes('--help')) {
    const rest = argv.filter((_, i) => i !== first);
    return runQuick(cmd, rest, stdio, process.env, async () => (await import('./main.ts')).USAGE);
  }
  return (await import('./main.ts')).run(argv);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`Error: ${String(e)}\n`);
    process.exit(EXIT.error);
  },
);
