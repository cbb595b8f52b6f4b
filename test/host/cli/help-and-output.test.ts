// The CLI's shared conventions, for every subcommand in dispatch.ts's list: --help (and help
// <command>) prints that command's usage and its exit codes with exit 0; colours only on a
// terminal and never with NO_COLOR; progress as a bar on a terminal, a line per step otherwise.
import { Writable } from "node:stream";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ExitCode } from "../../../host/cli/cli.ts";
import type { CliContext } from "../../../host/cli/cli.ts";
import { runCli, SUBCOMMANDS } from "../../../host/cli/dispatch.ts";
import { colours, progress } from "../../../host/cli/options.ts";

/** A stream that keeps what is written; `isTTY` as a terminal's stream would say. */
function capture(isTTY = false): Writable & { text: string; isTTY: boolean } {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      stream.text += chunk.toString();
      done();
    },
  }) as Writable & { text: string; isTTY: boolean };
  stream.text = "";
  stream.isTTY = isTTY;
  return stream;
}

function context(env: Record<string, string> = {}, tty = false) {
  const stdout = capture(tty);
  const stderr = capture(tty);
  const ctx: CliContext = { stdout, stderr, env, cwd: process.cwd(), signal: new AbortController().signal };
  return { ctx, stdout, stderr };
}

test("every subcommand answers --help and help <name> with its usage and exit codes, exit 0", async () => {
  assert.ok(SUBCOMMANDS.length >= 24, `the list has every command (${SUBCOMMANDS.map((c) => c.name).join(", ")})`);
  for (const command of SUBCOMMANDS) {
    for (const argv of [[command.name, "--help"], [command.name, "-h"], ["help", command.name]]) {
      const c = context();
      assert.is(await runCli(argv, c.ctx), ExitCode.OK, argv.join(" "));
      assert.ok(c.stdout.text.startsWith(`Usage: npx corral ${command.name}`), `${argv.join(" ")}: ${c.stdout.text.slice(0, 60)}`);
      assert.match(c.stdout.text, /Exit codes/i, `${command.name} --help documents its exit codes`);
      assert.is(c.stderr.text, "", `${argv.join(" ")} writes nothing on stderr`);
    }
  }
  const top = context();
  assert.is(await runCli(["--help"], top.ctx), ExitCode.OK);
  for (const command of SUBCOMMANDS) assert.match(top.stdout.text, new RegExp(`\\n  ${command.name}\\s+${command.summary.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  assert.match(top.stdout.text, /Exit codes \(every command\): 0 done, 1 a check failed/);
});

test("the new commands refuse unknown options as usage errors (exit 2) pointing at their --help", async () => {
  for (const name of ["dev", "bench", "test"]) {
    const c = context();
    assert.is(await runCli([name, "--bogus"], c.ctx), ExitCode.USAGE, name);
    assert.match(c.stderr.text, new RegExp(`--bogus[\\s\\S]*Run "npx corral ${name} --help" for usage`), name);
  }
});

test("colours: ANSI on a terminal; plain text when not a terminal or NO_COLOR is set", () => {
  assert.is(colours(capture(true), {}).red("x"), "\u001b[31mx\u001b[0m");
  assert.is(colours(capture(false), {}).red("x"), "x");
  assert.is(colours(capture(true), { NO_COLOR: "1" }).red("x"), "x");
  assert.is(colours(capture(true), { NO_COLOR: "" }).green("x"), "\u001b[32mx\u001b[0m", "an empty NO_COLOR does not count (no-color.org)");
});

test("progress: one line per step off a terminal; a redrawn bar on one; nothing when quiet", () => {
  const plain = context();
  const lines = progress(plain.ctx, 2);
  lines.step("first");
  lines.step("second");
  lines.done();
  assert.is(plain.stderr.text, "[1/2] first\n[2/2] second\n");
  const tty = context({}, true);
  const bar = progress(tty.ctx, 2);
  bar.step("half");
  bar.done();
  assert.match(tty.stderr.text, /^\r\u001b\[2K\[#{12} {12}\] 1\/2 half\n$/);
  const quiet = context();
  progress(quiet.ctx, 2, true).step("x");
  assert.is(quiet.stderr.text, "");
});

test.run();
