/**
 * The `corral` CLI without its process: picks the subcommand for the arguments, runs it, and turns
 * usage errors and Corral errors into messages and exit codes. Each subcommand lives in its own
 * file here; a new one is one more entry in SUBCOMMANDS.
 */
import { CorralError } from "../../schemas/errors.ts";
import { HOST_VERSION } from "../version.ts";
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, reportError, UsageError } from "./cli.ts";
import { commands } from "./commands.ts";
import { run } from "./run.ts";
import { profile } from "./profile.ts";
import { debug } from "./debug.ts";
import { registry } from "./registry.ts";

import { create } from "./create.ts";
import { keygen } from "./keygen.ts";
import { pack } from "./pack.ts";
import { sign } from "./sign.ts";
import { verify } from "./verify.ts";
import { install, update } from "./install.ts";
import { disable, enable, health, list, logs, migrate, uninstall } from "./host-commands.ts";
import { audit } from "./audit.ts";
import { outdated } from "./outdated.ts";
import { publish } from "./publish.ts";
import { test } from "./test.ts";
import { dev } from "./dev.ts";
import { bench } from "./bench.ts";
import { search } from "./search.ts";
import { login, logout } from "./login.ts";

/** Every subcommand, in the order `corral --help` lists them. */
export const SUBCOMMANDS: readonly CliCommand[] = [run, commands, profile, debug, registry,
  create, test, dev, bench, pack, sign, verify, keygen, install, update, uninstall, list, enable, disable, health, logs, migrate, audit, outdated, publish,
  search, login, logout];

function help(): string {
  const width = Math.max(...SUBCOMMANDS.map((c) => c.name.length));
  return `Usage: npx corral <command> [args...]

Commands:
${SUBCOMMANDS.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`).join("\n")}

Options:
  -h, --help      show this help (corral <command> --help: that command's)
  --version       print Corral's version

Exit codes (every command): 0 done, 1 a check failed (tests, bench, audit --strict), 2 usage error,
3 could not run or refused, 4 permission escalation refused (install, update), 130 interrupted;
corral run exits with the command's own code. Colours only on a terminal, never with NO_COLOR.
See docs/cli.md.
`;
}

/** Runs the CLI with `argv` (the arguments after the program) and resolves with the exit code. */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    const topic = name === "help" ? SUBCOMMANDS.find((c) => c.name === rest[0]) : undefined;
    context.stdout.write(topic?.help ?? help());
    return ExitCode.OK;
  }
  if (name === "--version") {
    context.stdout.write(`${HOST_VERSION}\n`);
    return ExitCode.OK;
  }
  const subcommand = SUBCOMMANDS.find((c) => c.name === name);
  try {
    if (subcommand === undefined) {
      throw new UsageError(`unknown command ${JSON.stringify(name)}; commands: ${SUBCOMMANDS.map((c) => c.name).join(", ")}`);
    }
    return await subcommand.run(rest, context);
  } catch (error) {
    if (error instanceof UsageError) {
      context.stderr.write(`corral: ${error.message}\nRun "npx corral ${subcommand?.name ?? ""}${subcommand ? " " : ""}--help" for usage.\n`);
      return ExitCode.USAGE;
    }
    if (error instanceof CorralError) {
      reportError(context, error);
      return ExitCode.CANNOT_RUN;
    }
    context.stderr.write(`corral: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return ExitCode.CANNOT_RUN;
  }
}
