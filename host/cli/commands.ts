/** `corral commands [<plugin>]`: lists the commands plugins declare, from their manifests alone. */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { readEnvConfig } from "../config.ts";
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, reportError, UsageError } from "./cli.ts";
import { writeJson } from "./options.ts";

const HELP = `Usage: npx corral commands [<plugin>] [--json]

Lists the commands the plugins in CORRAL_PLUGINS_DIR (default ./plugins) declare in their
plugin.json, with their descriptions, one per line as <plugin>:<command>. With <plugin>, only
that plugin's. No plugin is started. Same as: npx corral run --list

Options:
  --json       print {"commands":[{"plugin","command","description"}],"skipped":[{"dir","code","message"}]}
  -h, --help   show this help

Exit codes: 0 listed (also when no plugin declares commands), 2 usage or no such plugin,
3 that plugin's manifest is invalid.
`;

export const commands: CliCommand = {
  name: "commands",
  summary: "list the commands plugins offer (also: corral run --list)",
  help: HELP,
  async run(argv: readonly string[], context: CliContext): Promise<number> {
    const json = argv.includes("--json");
    const args = argv.filter((arg) => arg !== "--json");
    if (args.includes("-h") || args.includes("--help")) {
      context.stdout.write(HELP);
      return ExitCode.OK;
    }
    const unknown = args.find((arg) => arg.startsWith("-"));
    if (unknown !== undefined) throw new UsageError(`unknown option ${JSON.stringify(unknown)} for "corral commands"`);
    if (args.length > 1) throw new UsageError(`"corral commands" takes at most one plugin name, got ${args.length} arguments`);
    const { pluginsDir } = readEnvConfig(context.env, context.cwd);
    // Loaded here, not at the top: `corral --help` should not pay for manifest validation's modules.
    const { discoverPlugins } = await import("../discovery.ts");
    const { declaredCommands, findPlugin } = await import("../commands/find-command.ts");
    const discovery = await discoverPlugins(pluginsDir);
    const plugin = args[0];
    if (plugin !== undefined) {
      try {
        findPlugin(discovery, pluginsDir, plugin);
      } catch (error) {
        reportError(context, error);
        return error instanceof CorralError && error.code === ErrorCode.PLUGIN_NOT_FOUND ? ExitCode.USAGE : ExitCode.CANNOT_RUN;
      }
    } else if (!json) {
      for (const skipped of discovery.invalid) {
        context.stderr.write(`corral: skipped ${skipped.dir}: ${skipped.code}: ${skipped.message.split("\n")[0]}\n`);
      }
    }
    const rows = declaredCommands(discovery).filter((row) => plugin === undefined || row.plugin === plugin);
    if (json) {
      const skipped = plugin === undefined ? discovery.invalid.map((i) => ({ dir: i.dir, code: i.code, message: i.message })) : [];
      writeJson(context, { commands: rows.map((r) => ({ plugin: r.plugin, command: r.command, description: r.description ?? null })), skipped });
      return ExitCode.OK;
    }
    if (rows.length === 0) {
      context.stderr.write(plugin === undefined
        ? `corral: no plugin in ${pluginsDir} declares commands\n`
        : `corral: plugin "${plugin}" declares no commands\n`);
      return ExitCode.OK;
    }
    const width = Math.max(...rows.map((row) => row.plugin.length + 1 + row.command.length));
    for (const row of rows) {
      const name = `${row.plugin}:${row.command}`;
      context.stdout.write(row.description === undefined ? `${name}\n` : `${name.padEnd(width)}  ${row.description}\n`);
    }
    return ExitCode.OK;
  },
};
