/** `corral debug <plugin>`: turns a plugin's V8 inspector on (or off) on a running host. */
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, UsageError } from "./cli.ts";
import { parseCommandArgs } from "./options.ts";
import { adminFetch, adminTarget, describeFailure } from "./admin-client.ts";

const HELP = `Usage: npx corral debug <plugin> [--off] [--host URL]

Restarts <plugin> on a running host with the V8 inspector on a loopback port, and prints the
WebSocket URL and a devtools:// URL to attach Chrome DevTools to (or open chrome://inspect and
add 127.0.0.1:<port>). The inspector stays on until "corral debug <plugin> --off" (or a host
restart). Debugging opens the plugin's network namespace to the host's loopback: see
docs/health-and-profiling.md.

Options:
  --off          turn the inspector off (restarts the plugin without it)
  --host URL     the host (default CORRAL_URL, else http://127.0.0.1:$PORT, PORT 8080)
  -h, --help     show this help

Token: CORRAL_ADMIN_TOKEN, else <CORRAL_DATA_DIR or ./.corral>/admin-token. Needs the
"plugins.operate" permission.

Exit codes: 0 done, 2 usage error, 3 the host refused or the inspector did not start.
`;

export const debug: CliCommand = {
  name: "debug",
  summary: "start (or --off: stop) a plugin's V8 inspector on a running host",
  help: HELP,
  async run(args: readonly string[], context: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs("debug", args, { off: { type: "boolean" }, host: { type: "string" } });
    if (values.help) {
      context.stdout.write(HELP);
      return ExitCode.OK;
    }
    const [plugin, extra] = positionals;
    if (plugin === undefined) throw new UsageError("missing <plugin>, e.g. corral debug notes");
    if (extra !== undefined) throw new UsageError(`"corral debug" takes one plugin name, got ${JSON.stringify(extra)} as well`);
    const { off = false, host } = values;
    const target = await adminTarget(context, host);
    const response = await adminFetch(target, off ? "DELETE" : "POST", `/plugins/${encodeURIComponent(plugin)}/debug`, context.signal);
    if (!response.ok) {
      context.stderr.write(`corral: ${await describeFailure(response)}\n`);
      return ExitCode.CANNOT_RUN;
    }
    if (off) {
      context.stdout.write(`inspector of ${plugin} is off\n`);
      return ExitCode.OK;
    }
    const info = await response.json() as { url: string; devtoolsUrl: string };
    context.stdout.write(`${info.url}\n`);
    context.stderr.write(`attach Chrome DevTools: ${info.devtoolsUrl}\n(or chrome://inspect, "Configure...", add ${new URL(info.url.replace(/^ws/, "http")).host})\n`);
    return ExitCode.OK;
  },
};
