/**
 * `corral test [<folder>]`: a plugin's two kinds of tests, each with what it needs set up: its
 * Deno tests (`*_test.ts`, through @corral/sdk/testing, no host) under `deno test` with Corral's
 * deno.json, then its integration tests (`test/*.mjs`, through corral/testing's harness, a real
 * host) under `node --test` with `corral/...` resolvable from any folder.
 */
import { spawn } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, UsageError } from "./cli.ts";
import { colours, coloursOn, parseCommandArgs, writeJson } from "./options.ts";

const ROOT = resolve(import.meta.dirname, "../..");

const HELP = `Usage: npx corral test [<folder>] [--only deno|node] [--json]

Runs a plugin's tests (the folder holding plugin.json; default: the current folder):
  1. deno tests      files named *_test.ts, *.test.ts (and .js/.mjs...) anywhere in the folder,
                     run by deno test with Corral's deno.json (@corral/sdk/testing: the handlers
                     in-process with a fake database; no host) and read access to the folder
  2. node tests      files under test/ ending in .mjs, .js or .cjs, run by node --test with
                     "corral/testing" resolvable (startHarness: a real host with the plugin, a
                     real Deno process and Postgres: DATABASE_URL, else the embedded one)
Each runner's output is shown as it comes.

Options:
  --only <kind>   run only the deno or only the node tests
  --json          after the runners' output, print {"deno":{"code"},"node":{"code"}} on stdout
  -h, --help      show this help

Exit codes: 0 every test passed (a kind with no test files counts as passed), 1 a test failed,
2 usage, 3 the folder is not a plugin folder or a runner could not start, 130 interrupted.
`;

/** Node tests: what `node --test` gets. Deno's own pattern never matches these names. */
const NODE_TEST = /\.(mjs|cjs|js)$/;

async function nodeTestFiles(dir: string): Promise<string[]> {
  const testDir = join(dir, "test");
  if (!(await stat(testDir).catch(() => undefined))?.isDirectory()) return [];
  const entries = await readdir(testDir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && NODE_TEST.test(e.name)).map((e) => join(e.parentPath, e.name)).sort();
}

/** Runs a test runner with its output going to ours; resolves with its exit code (or 130 on abort). */
function runRunner(command: string, args: readonly string[], cwd: string, context: CliContext): Promise<number> {
  return new Promise((resolveRun) => {
    // The runners write to a pipe (ours): they colour only when we would.
    const env = coloursOn(context.stdout, context.env) ? { ...context.env, FORCE_COLOR: "1" } : { ...context.env, NO_COLOR: "1" };
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (chunk: Buffer) => context.stdout.write(chunk));
    child.stderr.on("data", (chunk: Buffer) => context.stderr.write(chunk));
    const onAbort = () => child.kill("SIGINT");
    context.signal.addEventListener("abort", onAbort, { once: true });
    child.on("error", (error) => {
      context.stderr.write(`corral: cannot start ${command}: ${error.message}\n`);
      resolveRun(ExitCode.CANNOT_RUN);
    });
    child.on("close", (code) => {
      context.signal.removeEventListener("abort", onAbort);
      resolveRun(context.signal.aborted ? ExitCode.INTERRUPTED : code ?? ExitCode.FAILED);
    });
  });
}

export const test: CliCommand = {
  name: "test",
  summary: "run a plugin's tests: its deno tests, then its integration tests on a real host",
  help: HELP,
  async run(args: readonly string[], context: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs("test", args, { only: { type: "string" }, json: { type: "boolean" } });
    if (values.help) return (context.stdout.write(HELP), ExitCode.OK);
    if (positionals.length > 1) throw new UsageError(`corral test takes one plugin folder, got ${positionals.length}`);
    if (values.only !== undefined && values.only !== "deno" && values.only !== "node") {
      throw new UsageError(`--only must be deno or node, got ${JSON.stringify(values.only)}`);
    }
    const dir = resolve(context.cwd, positionals[0] ?? ".");
    if (!(await stat(join(dir, "plugin.json")).catch(() => undefined))?.isFile()) {
      context.stderr.write(`corral: ${dir} has no plugin.json; give the folder of a plugin (npx corral create makes one)\n`);
      return ExitCode.CANNOT_RUN;
    }
    const c = colours(context.stderr, context.env);
    const { resolveDenoBinary } = await import("../runtime-paths.ts");
    const results: Record<string, { code: number; files?: number }> = {};
    if (values.only !== "node") {
      context.stderr.write(c.bold(`corral test: deno tests in ${dir}\n`));
      results.deno = {
        code: await runRunner(resolveDenoBinary(context.env), [
          "test", "--config", join(ROOT, "deno.json"), "--no-prompt", "--no-remote", `--allow-read=${dir}`, "--permit-no-files", dir,
        ], dir, context),
      };
    }
    if (values.only !== "deno" && !context.signal.aborted) {
      const files = await nodeTestFiles(dir);
      context.stderr.write(c.bold(`corral test: node tests in ${dir}: ${files.length === 0 ? "none (test/*.mjs)" : files.map((f) => relative(dir, f)).join(", ")}\n`));
      results.node = files.length === 0 ? { code: ExitCode.OK, files: 0 } : {
        code: await runRunner(process.execPath, ["--import", join(ROOT, "host/testing/node-test-setup.mjs"), "--test", ...files], dir, context),
        files: files.length,
      };
    }
    const codes = Object.values(results).map((r) => r.code);
    const code = context.signal.aborted ? ExitCode.INTERRUPTED
      : codes.every((n) => n === ExitCode.OK) ? ExitCode.OK
      : codes.includes(ExitCode.CANNOT_RUN) ? ExitCode.CANNOT_RUN : ExitCode.FAILED;
    const line = Object.entries(results).map(([kind, r]) => `${kind} ${r.code === 0 ? c.green("passed") : c.red(`failed (exit ${r.code})`)}`).join(", ");
    context.stderr.write(`corral test: ${line}\n`);
    if (values.json) writeJson(context, results);
    return code;
  },
};
