/** `corral outdated`: installed plugins with newer compatible versions or advisories, from the registry. */
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, UsageError } from "./cli.ts";
import { adminFetch, adminTarget } from "./admin-client.ts";
import { parseCommandArgs, writeJson } from "./options.ts";
import { registryClient } from "./registry-client.ts";

const HELP = `Usage: npx corral outdated [--registry URL] [--host URL] [--json]

Lists the plugins of a running host that have newer compatible versions in the registry
(with their changelogs) or a security advisory against the installed version (a WARNING line).
Needs a registry: --registry URL or CORRAL_REGISTRY_URL; without one it says so and exits 3.

Options:
  --registry URL   the registry (default CORRAL_REGISTRY_URL)
  --host URL       the host (default CORRAL_URL, else http://127.0.0.1:$PORT)
  --json           print [{"name","version","newer":[...],"advisories":[...]}]
  -h, --help       show this help

Exit codes: 0 listed, 2 usage, 3 no registry configured, or the host or registry unreachable.
`;

export const outdated: CliCommand = {
  name: "outdated",
  summary: "plugins with newer versions or advisories in the registry",
  help: HELP,
  async run(args: readonly string[], context: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs("outdated", args, { host: { type: "string" }, registry: { type: "string" }, json: { type: "boolean" } });
    if (values.help) return (context.stdout.write(HELP), ExitCode.OK);
    if (positionals.length > 0) throw new UsageError("corral outdated takes no arguments");
    const registry = await registryClient(context.env, values.registry);
    if (registry === undefined) {
      context.stderr.write("corral: no registry configured: pass --registry <URL> or set CORRAL_REGISTRY_URL to check for newer versions and advisories\n");
      return ExitCode.CANNOT_RUN;
    }
    const response = await adminFetch(await adminTarget(context, values.host), "GET", "/plugins", context.signal);
    if (!response.ok) return (context.stderr.write(`corral: HTTP ${response.status}: ${await response.text()}\n`), ExitCode.CANNOT_RUN);
    const { plugins } = await response.json() as { plugins: { name: string; version: string }[] };
    const rows = [];
    for (const p of plugins) {
      const [newer, advisories] = await Promise.all([registry.newerVersions(p.name, p.version), registry.advisories(p.name, p.version)]);
      if (newer.length > 0 || advisories.length > 0) rows.push({ name: p.name, version: p.version, newer, advisories });
    }
    if (values.json) writeJson(context, rows);
    else if (rows.length === 0) context.stdout.write("every plugin is up to date, with no advisories\n");
    else for (const r of rows) {
      context.stdout.write(`${r.name} ${r.version}${r.newer[0] ? ` -> ${r.newer[0].version}` : ""}\n`);
      for (const a of r.advisories) context.stdout.write(`  WARNING advisory ${a.id}: ${a.summary} (affects ${a.affects})\n`);
      if (r.newer[0]?.changelog) context.stdout.write(`  ${r.newer[0].changelog.split("\n").join("\n  ")}\n`);
    }
    return ExitCode.OK;
  },
};
