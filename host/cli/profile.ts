/** `corral profile <plugin>`: a CPU profile of a plugin on a running host, through its admin API. */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, UsageError } from "./cli.ts";
import { parseCommandArgs } from "./options.ts";
import { adminFetch, adminTarget, describeFailure } from "./admin-client.ts";

const HELP = `Usage: npx corral profile <plugin> [--seconds N] [--out file] [--host URL]

Takes a CPU profile of <plugin> on a running host for N seconds (default 5, 0.1 to 300) and
writes it as a .cpuprofile (open it in Chrome DevTools: Performance, "Load profile"; or in VS
Code). The host keeps a copy in <data dir>/profiles/. A plugin not running with the inspector
is restarted with it for the profile and restarted without it after.

Options:
  --seconds N    how long to profile (default 5)
  --out file     where to write it (default ./<plugin>-<time>.cpuprofile)
  --host URL     the host (default CORRAL_URL, else http://127.0.0.1:$PORT, PORT 8080)
  -h, --help     show this help

Token: CORRAL_ADMIN_TOKEN, else <CORRAL_DATA_DIR or ./.corral>/admin-token. Needs the
"plugins.operate" permission.

Exit codes: 0 written, 2 usage error, 3 the host refused or could not profile (message on stderr).
`;

export const profile: CliCommand = {
  name: "profile",
  summary: "take a CPU profile of a plugin on a running host",
  help: HELP,
  async run(args: readonly string[], context: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs("profile", args, {
      seconds: { type: "string", default: "5" }, out: { type: "string" }, host: { type: "string" },
    });
    if (values.help) {
      context.stdout.write(HELP);
      return ExitCode.OK;
    }
    const [plugin, extra] = positionals;
    if (plugin === undefined) throw new UsageError("missing <plugin>, e.g. corral profile notes --seconds 10");
    if (extra !== undefined) throw new UsageError(`"corral profile" takes one plugin name, got ${JSON.stringify(extra)} as well`);
    const { seconds, out, host } = values;
    const number = Number(seconds);
    if (!Number.isFinite(number) || number < 0.1 || number > 300) {
      throw new UsageError(`--seconds must be a number from 0.1 to 300, got ${JSON.stringify(seconds)}`);
    }
    const target = await adminTarget(context, host);
    context.stderr.write(`profiling ${plugin} for ${number} s...\n`);
    const response = await adminFetch(target, "POST", `/plugins/${encodeURIComponent(plugin)}/profile?seconds=${number}`, context.signal);
    if (!response.ok) {
      context.stderr.write(`corral: ${await describeFailure(response)}\n`);
      return ExitCode.CANNOT_RUN;
    }
    const body = await response.text();
    const file = resolve(context.cwd, out ?? `${plugin}-${new Date().toISOString().replace(/[:.]/g, "-")}.cpuprofile`);
    await writeFile(file, body);
    context.stdout.write(`${file}\n`);
    context.stderr.write(`host copy: ${response.headers.get("x-corral-profile-file") ?? "(none)"}\n`);
    return ExitCode.OK;
  },
};
