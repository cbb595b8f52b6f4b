/**
 * `corral audit <folder|file.corral>`: the security review of a plugin, offline: broad grants in
 * its manifest, code patterns worth a reviewer's eye, and (with a registry) known advisories.
 */
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, UsageError } from "./cli.ts";
import { colours, parseCommandArgs, writeJson } from "./options.ts";
import { registryClient } from "./registry-client.ts";

const HELP = `Usage: npx corral audit <folder|file.corral> [--json] [--strict]

Reports, for a plugin folder or package:
  grants    broad permissions: net "*" or a whole host's ports, read of "/" or a top folder,
            env "*", a database, global request hooks (they see every request)
  code      patterns worth a look in .ts/.js files: eval, new Function, Deno.run/Command,
            Deno.dlopen, dynamic import(), Deno.env, fetch of a URL built at runtime
  advisory  known advisories for this name and version, from the registry (CORRAL_REGISTRY_URL);
            without one, a line says none was checked
Each finding has a file (and line for code) and why it matters.

Options:
  --strict     exit 1 when there is any finding (for CI)
  --json       print {"name","version","findings":[{"kind","where","what","why"}],"registry"}
  -h, --help   show this help

Exit codes: 0 reported (or clean with --strict), 1 findings with --strict, 2 usage, 3 unreadable or invalid.
`;

export interface Finding {
  readonly kind: "grant" | "code" | "advisory";
  readonly where: string;
  readonly what: string;
  readonly why: string;
}

const CODE_PATTERNS: readonly { re: RegExp; what: string; why: string }[] = [
  { re: /\beval\s*\(/, what: "eval(", why: "runs text as code" },
  { re: /\bnew\s+Function\s*\(/, what: "new Function(", why: "runs text as code" },
  { re: /\bDeno\.(run|Command)\b/, what: "Deno.run/Deno.Command", why: "starts subprocesses (denied by the sandbox, but says what the code wants)" },
  { re: /\bDeno\.dlopen\b/, what: "Deno.dlopen", why: "loads native code" },
  { re: /\bimport\s*\(\s*[^"'`\s]/, what: "import(<expression>)", why: "loads code chosen at runtime" },
  { re: /\bDeno\.env\b/, what: "Deno.env", why: "reads environment variables" },
  { re: /\bfetch\s*\(\s*`[^`]*\$\{/, what: "fetch(`...${...}`)", why: "a URL built at runtime: check what can reach it" },
];

export function grantFindings(manifest: { permissions: { net: readonly string[]; read: readonly string[]; env: readonly string[] }; database: boolean; globalHooks: object }): Finding[] {
  const out: Finding[] = [];
  for (const net of manifest.permissions.net) {
    if (net === "*" || net.startsWith("*") || net.endsWith(":*")) out.push({ kind: "grant", where: "plugin.json permissions.net", what: net, why: "reaches any host or any port" });
  }
  for (const read of manifest.permissions.read) {
    if (read === "/" || /^\/[^/]*\/?$/.test(read) || read.includes("..")) out.push({ kind: "grant", where: "plugin.json permissions.read", what: read, why: "reads a whole top-level folder" });
  }
  for (const env of manifest.permissions.env) {
    if (env === "*" || env.endsWith("*")) out.push({ kind: "grant", where: "plugin.json permissions.env", what: env, why: "reads any environment variable" });
  }
  for (const hook of Object.keys(manifest.globalHooks)) out.push({ kind: "grant", where: "plugin.json globalHooks", what: hook, why: "runs on every request of every plugin it matches" });
  return out;
}

export function codeFindings(files: ReadonlyMap<string, Buffer>): Finding[] {
  const out: Finding[] = [];
  for (const [path, content] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!/\.(m?[jt]sx?)$/.test(path) || path.endsWith("_test.ts")) continue;
    content.toString("utf8").split("\n").forEach((line, i) => {
      for (const p of CODE_PATTERNS) if (p.re.test(line)) out.push({ kind: "code", where: `${path}:${i + 1}`, what: p.what, why: p.why });
    });
  }
  return out;
}

export const audit: CliCommand = {
  name: "audit",
  summary: "security review of a plugin: broad grants, risky code, advisories",
  help: HELP,
  async run(args: readonly string[], context: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs("audit", args, { json: { type: "boolean" }, strict: { type: "boolean" } });
    if (values.help) return (context.stdout.write(HELP), ExitCode.OK);
    if (positionals.length !== 1) throw new UsageError("corral audit needs one plugin folder or .corral package");
    const { checkFiles, openPackage } = await import("../packages/package.ts");
    const { readVersionFiles } = await import("../manager/version-files.ts");
    const { parseManifest } = await import("../manifest/manifest.ts");
    const source = resolve(context.cwd, positionals[0]!);
    let files: Map<string, Buffer>;
    if ((await stat(source)).isDirectory()) files = new Map((await readVersionFiles(source)).map((f) => [f.path, f.content]));
    else {
      const pkg = openPackage(await readFile(source));
      checkFiles(pkg);
      files = new Map(pkg.files);
    }
    const manifestBytes = files.get("plugin.json");
    if (manifestBytes === undefined) throw new UsageError(`${source} has no plugin.json`);
    const manifest = parseManifest(manifestBytes.toString("utf8"), `${source}/plugin.json`);
    const findings = [...grantFindings(manifest), ...codeFindings(files)];
    const registry = await registryClient(context.env);
    let registryNote: string;
    if (registry === undefined) registryNote = "no registry configured (CORRAL_REGISTRY_URL): advisories not checked";
    else {
      const advisories = await registry.advisories(manifest.name, manifest.version);
      for (const a of advisories) findings.push({ kind: "advisory", where: `${manifest.name}@${manifest.version}`, what: a.id, why: a.summary });
      registryNote = `checked ${registry.url}`;
    }
    if (values.json) writeJson(context, { name: manifest.name, version: manifest.version, findings, registry: registryNote });
    else {
      const c = colours(context.stdout, context.env);
      for (const f of findings) context.stdout.write(`${c.yellow(f.kind.padEnd(8))} ${f.where}: ${f.what} (${f.why})\n`);
      context.stdout.write(`${manifest.name} ${manifest.version}: ${findings.length === 0 ? c.green("no findings") : `${findings.length} finding(s)`}; ${registryNote}\n`);
    }
    return values.strict && findings.length > 0 ? ExitCode.FAILED : ExitCode.OK;
  },
};
