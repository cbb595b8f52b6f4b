// Unit tests of the CLI's dispatch: help, version, unknown subcommands and usage errors, with
// their exit codes, without starting any plugin.
import { Writable } from "node:stream";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ExitCode } from "../../../host/cli/cli.ts";
import type { CliContext } from "../../../host/cli/cli.ts";
import { runCli, SUBCOMMANDS } from "../../../host/cli/dispatch.ts";
import { HOST_VERSION } from "../../../host/version.ts";

function context(env: Record<string, string> = {}): { context: CliContext; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const sink = (append: (text: string) => void) => new Writable({
    write(chunk, _encoding, done) {
      append(chunk.toString());
      done();
    },
  });
  return {
    context: {
      stdout: sink((t) => (out += t)),
      stderr: sink((t) => (err += t)),
      env,
      cwd: process.cwd(),
      signal: new AbortController().signal,
    },
    out: () => out,
    err: () => err,
  };
}

test("no arguments, -h, --help and help print the usage with every subcommand, exit 0", async () => {
  for (const argv of [[], ["-h"], ["--help"], ["help"]]) {
    const c = context();
    assert.is(await runCli(argv, c.context), ExitCode.OK);
    assert.match(c.out(), /^Usage: npx corral <command> \[args\.\.\.\]/);
    assert.match(c.out(), /\n  run\s+run a command a plugin offers/);
    assert.match(c.out(), /\n  commands\s+list the commands plugins offer/);
  }
});

test("help <command> and <command> --help print that command's help", async () => {
  const c = context();
  assert.is(await runCli(["help", "run"], c.context), ExitCode.OK);
  assert.match(c.out(), /^Usage: npx corral run \[options\]/);
  const d = context();
  assert.is(await runCli(["commands", "--help"], d.context), ExitCode.OK);
  assert.match(d.out(), /^Usage: npx corral commands \[<plugin>\]/);
});

test("--version prints the host's version", async () => {
  const c = context();
  assert.is(await runCli(["--version"], c.context), ExitCode.OK);
  assert.is(c.out(), `${HOST_VERSION}\n`);
});

test("an unknown subcommand and bad arguments are usage errors: exit 2, the problem and where help is", async () => {
  const c = context();
  assert.is(await runCli(["frob"], c.context), ExitCode.USAGE);
  assert.is(c.err(), `corral: unknown command "frob"; commands: ${SUBCOMMANDS.map((s) => s.name).join(", ")}\nRun "npx corral --help" for usage.\n`);
  assert.match(c.err(), /commands: run, commands, profile, debug, registry, create, test, dev, bench, pack,/);
  const d = context();
  assert.is(await runCli(["run", "--nope"], d.context), ExitCode.USAGE);
  assert.match(d.err(), /^corral: unknown option "--nope" for "corral run".*\nRun "npx corral run --help" for usage\.\n$/);
  const e = context();
  assert.is(await runCli(["commands", "a", "b"], e.context), ExitCode.USAGE);
});

test("a bad environment is a Corral error: exit 3 with its code", async () => {
  const c = context({ PORT: "nope" });
  assert.is(await runCli(["run", "p1:c"], c.context), ExitCode.CANNOT_RUN);
  assert.match(c.err(), /^corral: CORRAL_E_ENVIRONMENT: PORT must be a whole number/);
});

test.run();
