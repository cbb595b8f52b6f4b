/**
 * `npm run load:faults -- [--seconds 120] [--connections 50] [--kill-every-ms 300]`: load with
 * faults against three plugins (scripts/load/fault-load.ts). Needs DATABASE_URL like `npm test`
 * (the host opens its database). Exits 1 when a request got anything but a success or a clear
 * 502/503/504 JSON error, when one hung, or when a Deno process outlived the host.
 */
import { FIXTURES } from "../../test/helpers/host.ts";
import { runFaultLoad } from "./fault-load.ts";
import { numberOption, scriptArgs } from "../script-args.ts";

const HELP = `Usage: npm run load:faults -- [--seconds N] [--connections N] [--kill-every-ms N]

Runs N concurrent clients (default 50) for N seconds (default 120) against three plugins of a
real host, SIGKILLing a random plugin's deno process every ~N ms (default 300; 0: never).
Prints counts by outcome, kills, requests/s, the host's RSS samples and their slope (MiB per
100k requests), and Deno processes left after shutdown. Needs DATABASE_URL.`;

const args = scriptArgs(HELP);
const option = (name: string, fallback: number) => numberOption(args, HELP, name, fallback, "non-negative");

const report = await runFaultLoad({
  seconds: option("seconds", 120),
  connections: option("connections", 50),
  killEveryMs: option("kill-every-ms", 300),
  clientTimeoutMs: 10_000,
  plugins: ["rob-load-a", "rob-load-b", "rob-load-c"].map((p) => `${FIXTURES}/${p}`),
  progress: (r) => process.stderr.write(`\r${r.requests} requests, ${r.ok} ok, ${r.kills} kills, rss ${(r.rss.at(-1)!.rssBytes / 2 ** 20).toFixed(1)} MiB   `),
});
process.stderr.write("\n");
const { rss, ...summary } = report;
console.log(JSON.stringify({
  ...summary,
  rssMiB: { first: +(rss[0]!.rssBytes / 2 ** 20).toFixed(1), min: +(Math.min(...rss.map((s) => s.rssBytes)) / 2 ** 20).toFixed(1),
    max: +(Math.max(...rss.map((s) => s.rssBytes)) / 2 ** 20).toFixed(1), last: +(rss.at(-1)!.rssBytes / 2 ** 20).toFixed(1) },
  rssSamples: rss.filter((_, i) => i % Math.max(1, Math.floor(rss.length / 12)) === 0)
    .map((s) => `${s.requests}: ${(s.rssBytes / 2 ** 20).toFixed(1)} MiB`),
}, null, 2));
const failed = report.bad > 0 || report.hung > 0 || report.strayDenoPids.length > 0 || report.strayByCommandLine.length > 0;
console.log(failed ? "FAILED: see bad, hung and stray above" : "ok: every request answered clearly, none hung, no Deno process left");
process.exit(failed ? 1 : 0);
