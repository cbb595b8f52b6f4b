// Unit tests of `corral run`'s argument parsing: options before the target, everything after it
// passed to the command untouched, and usage errors that say what is wrong.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { UsageError } from "../../../host/cli/cli.ts";
import { parseRunArgs } from "../../../host/cli/run-args.ts";

test("the target splits into plugin and command; the rest is the command's, options and all", () => {
  assert.equal(parseRunArgs(["notes:export", "--format", "csv", "--help", "--", "-x"]), {
    kind: "run", plugin: "notes", command: "export", args: ["--format", "csv", "--help", "--", "-x"], verbose: false, timeoutMs: undefined,
  });
});

test("options come before the target: --verbose, --timeout in both spellings, -- to end them", () => {
  assert.equal(parseRunArgs(["--verbose", "--timeout", "1.5", "a-b:c-d", "x"]), {
    kind: "run", plugin: "a-b", command: "c-d", args: ["x"], verbose: true, timeoutMs: 1500,
  });
  assert.is((parseRunArgs(["--timeout=60", "p1:c"]) as { timeoutMs: number }).timeoutMs, 60_000);
  assert.equal((parseRunArgs(["--", "p1:c", "--verbose"]) as { args: readonly string[] }).args, ["--verbose"]);
});

test("--help and --list win wherever they stand among the options", () => {
  assert.equal(parseRunArgs(["--help"]), { kind: "help" });
  assert.equal(parseRunArgs(["-h"]), { kind: "help" });
  assert.equal(parseRunArgs(["--verbose", "--list"]), { kind: "list" });
  assert.equal((parseRunArgs(["p1:c", "--help"]) as { kind: string }).kind, "run", "after the target, --help is the command's");
});

test("usage errors say what is wrong", () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /missing <plugin>:<command>, e\.g\. corral run notes:export/],
    [["--verbose"], /missing <plugin>:<command>/],
    [["notes"], /"notes" names no command: write <plugin>:<command>, e\.g\. notes:export \(corral commands notes lists them\)/],
    [["notes:"], /names no command/],
    [[":export"], /"" is not a plugin name/],
    [["Notes:export"], /"Notes" is not a plugin name/],
    [["notes:Export"], /"Export" is not a command name/],
    [["--bogus", "notes:export"], /unknown option "--bogus" for "corral run" \(options go before <plugin>:<command>/],
    [["--timeout"], /--timeout needs a value/],
    [["--timeout", "soon", "p1:c"], /--timeout must be a positive number of seconds, got "soon"/],
    [["--timeout=0", "p1:c"], /got "0"/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseRunArgs(args), (error: Error) => error instanceof UsageError && message.test(error.message), args.join(" "));
  }
});

test.run();
