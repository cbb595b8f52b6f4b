/** Writes `npm run bench`'s latest results into docs/benchmarks.md, between its markers. */
import { readFileSync, writeFileSync } from "node:fs";

export const START = "<!-- bench:results:start (written by npm run bench) -->";
export const END = "<!-- bench:results:end -->";

/** Replaces what is between the markers (they must exist, in order) with `markdown`. */
export function writeResults(file: string, markdown: string): void {
  const text = readFileSync(file, "utf8");
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`bench: ${file} has no "${START}" … "${END}" markers; add them where the results go`);
  writeFileSync(file, text.slice(0, start + START.length) + "\n" + markdown + "\n" + text.slice(end));
}
