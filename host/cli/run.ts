/** `corral run <plugin>:<command> [args...]`: runs a plugin's command in its sandbox (host/commands/). */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { readEnvConfig } from "../config.ts";
import { Logger } from "../logger.ts";
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, reportError } from "./cli.ts";
import { commands } from "./commands.ts";
import { parseRunArgs } from "./run-args.ts";

const HELP = `Usage: npx corral run [options] <plugin>:<command> [args...]

Runs a command a plugin declares (in plugin.json "commands", defined with definePlugin({ commands })),
in a fresh process of that plugin with its own permissions, limits and database, as the host
would run it. Its output streams to this terminal; its exit code is corral's. Everything after
<plugin>:<command> is the command's (its own --help included).

Options:
  --list              list the commands plugins offer (as: corral commands)
  --timeout <secs>    stop the command after this many seconds (default: no limit)
  --verbose           show the host's and the plugin's log, and a failed command's stack
  -h, --help          show this help

Exit codes:
  0        the command succeeded
  n        the command returned n (1-255)
  1        the command threw (its message is printed)
  2        usage: bad arguments, no such plugin, or the plugin declares no such command
  3        the command could not run or finish (invalid manifest, refused by policy, start
           failure, database unavailable, crash, --timeout)
  130      interrupted (Ctrl-C)

Environment: CORRAL_PLUGINS_DIR, CORRAL_DATA_DIR, CORRAL_POLICY, DATABASE_URL, PORT and the other
variables of npm start (npm start -- --help). See docs/cli.md.

Examples:
  npx corral run notes:export
  npx corral run --timeout 60 notes:import data/notes.csv --dry-run
`;

export const run: CliCommand = {
  name: "run",
  summary: "run a command a plugin offers, in the plugin's sandbox",
  help: HELP,
  async run(argv: readonly string[], context: CliContext): Promise<number> {
    const parsed = parseRunArgs(argv);
    if (parsed.kind === "help") {
      context.stdout.write(HELP);
      return ExitCode.OK;
    }
    if (parsed.kind === "list") return await commands.run([], context);
    const config = readEnvConfig(context.env, context.cwd);
    const logger = new Logger({
      level: parsed.verbose ? "debug" : "warn",
      pretty: true,
      sink: (line) => context.stderr.write(line + "\n"),
    });
    const request = { plugin: parsed.plugin, command: parsed.command, args: parsed.args };
    // Loaded here, not at the top: `corral --help` should not pay for the host's modules.
    const { locateCommand, runPluginCommand } = await import("../commands/run-plugin-command.ts");
    let loaded;
    try {
      loaded = await locateCommand(request, config.pluginsDir);
    } catch (error) {
      reportError(context, error);
      const usage = error instanceof CorralError && (error.code === ErrorCode.PLUGIN_NOT_FOUND || error.code === ErrorCode.COMMAND_UNKNOWN);
      return usage ? ExitCode.USAGE : ExitCode.CANNOT_RUN;
    }
    try {
      const result = await runPluginCommand(loaded, request, {
        pluginsDir: config.pluginsDir,
        dataDir: config.dataDir,
        policyFile: config.policyFile,
        databaseUrl: config.databaseUrl,
        hostPort: config.port,
        env: context.env,
        logger,
        ...(config.cacheMaxBytes === undefined ? {} : { cacheMaxBytes: config.cacheMaxBytes }),
        stdout: context.stdout,
        stderr: context.stderr,
        ...(parsed.timeoutMs === undefined ? {} : { timeoutMs: parsed.timeoutMs }),
        signal: context.signal,
      });
      if (result.error !== undefined) {
        const { message, stack } = result.error;
        context.stderr.write(parsed.verbose && stack !== undefined ? `${stack}\n` : `${parsed.plugin}:${parsed.command}: ${message}\n`);
      }
      return result.exitCode;
    } catch (error) {
      if (context.signal.aborted) {
        context.stderr.write(`corral: ${parsed.plugin}:${parsed.command} interrupted\n`);
        return ExitCode.INTERRUPTED;
      }
      reportError(context, error);
      return ExitCode.CANNOT_RUN;
    }
  },
};
