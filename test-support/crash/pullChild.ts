// Test and bench helper process: resumes interrupted downloads in ORCHARD_HOME (argv[2]) or starts a pull of
// argv[4] from the Hub at argv[3]; prints "P <bytes>" on progress, "MS <ms>" and "END <status>" at the end.
import { makeCoreEnv } from '../hub/env.ts';

const [home, hubUrl, repo] = process.argv.slice(2);
if (!home || !hubUrl || !repo) throw new Error('usage: pullChild.ts HOME HUB_URL REPO');
const env = makeCoreEnv(hubUrl, {
  dir: home,
  progressIntervalMs: 100,
  connectionsPerFile: Number(process.env.CONNECTIONS ?? 4),
});
env.manager.on('progress', (p) => process.stdout.write(`P ${p.doneBytes}\n`));
const t0 = performance.now();
const resumed = env.manager.start();
const id = resumed[0] ?? (await env.manager.pull(repo)).id;
const v = await env.manager.wait(id);
// Time inside the process, pull to verified snapshot: what the benchmark compares with curl.
process.stdout.write(`MS ${(performance.now() - t0).toFixed(1)}\n`);
process.stdout.write(`END ${v.status} ${v.error ?? ''}\n`);
await env.close();
