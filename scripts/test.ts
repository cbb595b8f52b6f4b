/**
 * `npm test`: type-checks both sides, checks the architecture, runs the Deno-side tests and the
 * Node-side uvu suites (unit and end-to-end), and ends with one summary line "N passed, N failed".
 *
 * Usage: node --import tsx scripts/test.ts [--only typecheck|arch|deno|node] [uvu pattern]
 */
import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { resolveDenoBinary } from "../host/runtime-paths.ts";

const HELP = `Usage: npm test [-- --only <stage>] [-- <pattern>]

Stages, in order: typecheck (tsc + deno check), arch (import rules), deno (deno test),
node (uvu suites under test/, files matching *.test.ts or <pattern>).
Needs DATABASE_URL (a superuser connection, e.g. postgres://postgres@127.0.0.1:5432/test): the
suites that start a host or touch Postgres fail, loudly, without it.`;

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(HELP);
  process.exit(0);
}
const onlyIndex = args.indexOf("--only");
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
const pattern = args.filter((a, i) => !a.startsWith("--") && i !== onlyIndex + 1)[0] ?? "\\.test\\.ts$";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const deno = resolveDenoBinary();
const node = process.execPath;

interface Stage {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Reads passed/failed counts from the stage's output; null when it prints none. */
  readonly count?: (output: string) => { passed: number; failed: number } | null;
}

const stages: Stage[] = [
  { name: "typecheck", command: node, args: ["node_modules/typescript/bin/tsc", "-p", "."] },
  { name: "typecheck", command: deno, args: ["check", "--config", "deno.json", "--quiet", "sandbox/", "plugins/", "schemas/framing.ts", "schemas/framing_test.ts", "schemas/sql-values.ts", "test/fixtures/plugins/"] },
  { name: "arch", command: node, args: ["--import", "tsx", "scripts/check-architecture.ts"] },
  {
    name: "deno",
    command: deno,
    args: ["test", "--config", "deno.json", "--no-prompt", "--no-remote", "--quiet", "sandbox/", "plugins/", "schemas/"],
    count: (out) => {
      const m = /(\d+) passed.*?\| (\d+) failed/.exec(stripAnsi(out).split("\n").filter((l) => /passed/.test(l)).at(-1) ?? "");
      return m ? { passed: Number(m[1]), failed: Number(m[2]) } : null;
    },
  },
  {
    name: "node",
    command: node,
    args: ["--import", "tsx", "node_modules/uvu/bin.js", "test", pattern, "-c", "false"],
    count: (out) => {
      const total = /Total:\s+(\d+)/.exec(out);
      const passed = /Passed:\s+(\d+)/.exec(out);
      return total && passed ? { passed: Number(passed[1]), failed: Number(total[1]) - Number(passed[1]) } : null;
    },
  },
];

function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

function run(stage: Stage): Promise<{ code: number; output: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(stage.command, stage.args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on("exit", (code) => resolveRun({ code: code ?? 1, output }));
  });
}

let passed = 0;
let failed = 0;
const started = Date.now();
for (const stage of stages) {
  if (only !== undefined && stage.name !== only) continue;
  console.log(`\n== ${stage.name}: ${[stage.command.split("/").at(-1), ...stage.args].join(" ")}`);
  const { code, output } = await run(stage);
  const counts = stage.count?.(output) ?? null;
  if (counts !== null) {
    passed += counts.passed;
    failed += counts.failed;
  } else if (code === 0) {
    passed += 1; // a check without test counts counts as one passed check
  }
  if (code !== 0) {
    if (counts === null || counts.failed === 0) failed += 1;
    console.error(`\n== ${stage.name} failed (exit code ${code}); stopping.`);
    break;
  }
}
console.log(`\n== done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
