// The one line that shows a model load under way (from serve's memoryStatus events), shared by
// `orchard load` and `orchard run` (a model loaded just in time by the first request).
import { loadPercent, type LoadProgress } from '#shared/contract/memory.ts';

export function gb(bytes: number | null): string {
  return bytes === null ? '-' : `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

export function loadLine(model: string, row: LoadProgress): string {
  const pct = loadPercent(row);
  return pct === null
    ? `Loading ${model}: reading its config and tokenizer`
    : `Loading ${model}: ${pct}% (${gb(row.doneBytes)} of ${gb(row.totalBytes)})`;
}
