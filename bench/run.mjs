#!/usr/bin/env node
// Runs the benchmarks and prints each ratio beside its target; results land in bench/results/*.json.
// Benchmarks compare against a reference in the same run, so they never become timed assertions in tests.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const py = join(root, 'inference-sidecar', '.venv', 'bin', 'python');
const cache =
  process.env.HF_HUB_CACHE ??
  join(
    process.env.HF_HOME ??
      join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface'),
    'hub',
  );

const benches = [
  ['sidecar', py, [join(root, 'bench', 'sidecar_bench.py'), '--cache', cache]],
  ['kv', py, [join(root, 'bench', 'kv_bench.py'), '--cache', cache]],
  ['speculative', py, [join(root, 'bench', 'speculative_bench.py'), '--cache', cache]],
  ['embeddings', py, [join(root, 'bench', 'embeddings_bench.py'), '--cache', cache]],
  ['gateway', process.execPath, ['--import', 'tsx', join(root, 'bench', 'gateway_bench.mjs')]],
  ['downloads', process.execPath, ['--import', 'tsx', join(root, 'bench', 'download_bench.ts')]],
];

function resultFile(name) {
  return join(root, 'bench', 'results', `${name}.json`);
}

// A target is a lower bound, or `{ max }` for figures where less is better (added latency).
function verdict(value, target) {
  if (target === undefined) return ['', ''];
  const max = typeof target === 'object' ? target.max : undefined;
  const ok = max === undefined ? value >= target : value <= max;
  return [max === undefined ? `≥ ${target}` : `≤ ${max}`, ok ? 'met' : 'NOT met'];
}

const only = process.argv.slice(2);
let failed = 0;
for (const [name, cmd, args] of benches) {
  if (only.length && !only.includes(name)) continue;
  console.log(`\n=== bench ${name} ===`);
  const res = spawnSync(cmd, [...args, '--out', resultFile(name)], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) {
    failed++;
    console.error(`bench ${name} failed (exit ${res.status})`);
  }
}

// The table covers every bench's latest result, so running one bench keeps the others' rows.
const lines = ['| benchmark | value | target | |', '| --- | --- | --- | --- |'];
for (const [name] of benches) {
  if (!existsSync(resultFile(name))) continue;
  const data = JSON.parse(readFileSync(resultFile(name), 'utf8'));
  for (const [key, value] of Object.entries(data.ratios ?? {})) {
    const [target, met] = verdict(Number(value), data.targets?.[key]);
    lines.push(`| ${name}: ${key} | ${Number(value).toFixed(3)} | ${target} | ${met} |`);
  }
}
const table = lines.join('\n');
console.log(`\n${table}`);
writeFileSync(join(root, 'bench', 'results', 'summary.md'), `${table}\n`);
process.exit(failed ? 1 : 0);
