/**
 * `corral search <words>`: the registry's search (GET /api/plugins) from the command line, one
 * line per plugin, or the registry's JSON with --json.
 */
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, UsageError } from "./cli.ts";
import { colours, parseCommandArgs, writeJson } from "./options.ts";
import { registryUrl } from "./registry-target.ts";

const KINDS = "net, read, env, database, cache, globalHooks, commands";

const HELP = `Usage: npx corral search [<words>...] [--keyword K] [--permission P]... [--no-permission P]...
                         [--registry URL] [--json]

Searches a registry's plugins: every word must match the name, the description or a keyword
(case-insensitive). One line per plugin: name, newest version, the security-review status of that
version, how many advisories it has, and its description.

Options:
  --keyword K          only plugins with keyword K
  --permission P       only plugins whose newest version asks for P (repeatable)
  --no-permission P    only plugins whose newest version does not ask for P (repeatable);
                       P is one of ${KINDS}
  --registry URL       the registry (default CORRAL_REGISTRY_URL)
  --json               print the registry's answer: [{"name","latest","latestReview","advisories",...}]
  -h, --help           show this help

Exit codes: 0 searched (also when nothing matched), 2 usage, 3 the registry unreachable or the
query refused (the reason is printed).
`;

export const search: CliCommand = {
  name: "search",
  summary: "search a registry's plugins by words, keyword and permission",
  help: HELP,
  async run(args: readonly string[], context: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs("search", args, {
      keyword: { type: "string" }, permission: { type: "string", multiple: true }, "no-permission": { type: "string", multiple: true },
      registry: { type: "string" }, json: { type: "boolean" },
    });
    if (values.help) return (context.stdout.write(HELP), ExitCode.OK);
    const needs = values.permission ?? [];
    const without = values["no-permission"] ?? [];
    const both = needs.filter((p) => without.includes(p));
    if (both.length > 0) throw new UsageError(`--permission and --no-permission both name ${both.join(", ")}: nothing can match`);
    const { RegistryClient } = await import("../registry-client/registry-client.ts");
    const client = new RegistryClient({ url: registryUrl(values.registry, context) });
    const plugins = await client.search({
      text: positionals.join(" "), ...(values.keyword === undefined ? {} : { keyword: values.keyword }), needs, without,
    });
    if (values.json) {
      writeJson(context, plugins);
      return ExitCode.OK;
    }
    if (plugins.length === 0) {
      context.stderr.write(`no plugin in ${client.url} matches; fewer words or filters find more\n`);
      return ExitCode.OK;
    }
    const c = colours(context.stdout, context.env);
    const width = Math.max(...plugins.map((p) => p.name.length));
    const versionWidth = Math.max(...plugins.map((p) => (p.latest ?? "-").length));
    for (const p of plugins) {
      // Padded before colouring: escape codes have no width on screen.
      const review = (p.latestReview ?? "-").padEnd(10);
      const status = p.latestReview === "approved" ? c.green(review) : p.latestReview === "rejected" ? c.red(review) : review;
      const count = `${p.advisories} ${p.advisories === 1 ? "advisory" : "advisories"}`.padEnd(13);
      const advisories = p.advisories === 0 ? count : c.yellow(count);
      context.stdout.write(`${c.bold(p.name.padEnd(width))}  ${(p.latest ?? "-").padEnd(versionWidth)}  ${status}  ${advisories}  ${p.description}\n`);
    }
    return ExitCode.OK;
  },
};
