/**
 * The small subcommands that ask a running host one thing through its admin API: list, health,
 * enable, disable, uninstall, logs, migrate. Each is one request and a printout, so they share
 * one shape here instead of a file each; anything larger gets its own file.
 */
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, UsageError } from "./cli.ts";
import { adminFetch, adminSend, adminTarget, readJsonAnswer, type AdminTarget } from "./admin-client.ts";
import { colours, parseCommandArgs, writeJson } from "./options.ts";

type Values = Record<string, string | boolean | undefined>;

interface HostCommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly description: string;
  readonly permission: string;
  readonly options?: Record<string, { type: "string" | "boolean"; help: string }>;
  /** Whether a <plugin> argument is required (true), optional ("optional") or absent (false). */
  readonly plugin: boolean | "optional";
  request(target: AdminTarget, plugin: string | undefined, values: Values, context: CliContext): Promise<Response>;
  print(body: any, context: CliContext, values: Values): void;
}

const COMMON = `  --host URL     the host (default CORRAL_URL, else http://127.0.0.1:$PORT, PORT 8080)
  --json         print the host's answer as JSON
  -h, --help     show this help

Token: CORRAL_ADMIN_TOKEN, else <CORRAL_DATA_DIR or ./.corral>/admin-token.
Exit codes: 0 done, 2 usage, 3 the host refused or could not be reached (code and message on stderr).
`;

function hostCommand(spec: HostCommandSpec): CliCommand {
  const extra = Object.entries(spec.options ?? {}).map(([name, o]) => `  --${name}${o.type === "string" ? " <value>" : ""}`.padEnd(17) + o.help).join("\n");
  const help = `Usage: npx corral ${spec.usage}\n\n${spec.description}\nNeeds the "${spec.permission}" permission.\n\nOptions:\n${extra ? `${extra}\n` : ""}${COMMON}`;
  return {
    name: spec.name,
    summary: spec.summary,
    help,
    async run(args: readonly string[], context: CliContext): Promise<number> {
      const options = Object.fromEntries(Object.entries(spec.options ?? {}).map(([k, o]) => [k, { type: o.type }]));
      const { values, positionals } = parseCommandArgs(spec.name, args, { ...options, host: { type: "string" }, json: { type: "boolean" } });
      if (values.help) return (context.stdout.write(help), ExitCode.OK);
      const max = spec.plugin === false ? 0 : 1;
      if (positionals.length > max) throw new UsageError(`corral ${spec.name} takes ${max === 0 ? "no arguments" : "one plugin name"}, got ${JSON.stringify(positionals[max])}`);
      if (spec.plugin === true && positionals[0] === undefined) throw new UsageError(`missing <plugin>, e.g. corral ${spec.name} notes`);
      const target = await adminTarget(context, values.host as string | undefined);
      const response = await spec.request(target, positionals[0], values as Values, context);
      const answer = await readJsonAnswer<any>(response, context);
      if (answer === undefined) return ExitCode.CANNOT_RUN;
      const { body, text } = answer;
      if (values.json) writeJson(context, body);
      if (!response.ok || body?.error !== undefined) {
        if (!values.json) context.stderr.write(`corral: ${body?.error?.code ?? `HTTP ${response.status}`}: ${body?.error?.message ?? text.slice(0, 200)}\n`);
        return ExitCode.CANNOT_RUN;
      }
      if (!values.json) spec.print(body, context, values as Values);
      return ExitCode.OK;
    },
  };
}

const path = (plugin: string | undefined, rest = "") => `/plugins/${encodeURIComponent(plugin ?? "")}${rest}`;
const printMessage = (body: { message?: string }, context: CliContext) => context.stdout.write(`${body.message ?? "done"}\n`);

interface PluginRow { name: string; version: string; state: string; disabled?: { reason?: string } }

export const list = hostCommand({
  name: "list", summary: "list the plugins of a running host", usage: "list [--host URL] [--json]",
  description: "Lists the host's plugins: name, version, state; then the folders whose manifest is invalid.",
  permission: "plugins.read", plugin: false,
  request: (target, _p, _v, context) => adminFetch(target, "GET", "/plugins", context.signal),
  print(body: { plugins: PluginRow[]; invalid: { dir?: string; error?: string }[] }, context) {
    const c = colours(context.stdout, context.env);
    const width = Math.max(4, ...body.plugins.map((p) => p.name.length));
    for (const p of body.plugins) {
      const state = p.state === "ready" ? c.green(p.state) : p.state === "disabled" ? c.dim(p.state) : c.yellow(p.state);
      context.stdout.write(`${p.name.padEnd(width)}  ${p.version.padEnd(10)}  ${state}\n`);
    }
    for (const i of body.invalid ?? []) context.stdout.write(`${c.red("invalid")}  ${i.dir ?? ""}: ${i.error ?? ""}\n`);
  },
});

export const health = hostCommand({
  name: "health", summary: "a running host's health, or one plugin's", usage: "health [<plugin>] [--host URL] [--json]",
  description: "Prints the host's /health (status, plugins and their states), or one plugin's details with <plugin>.",
  permission: "plugins.read", plugin: "optional",
  request: (target, plugin, _v, context) => adminFetch(target, "GET", plugin === undefined ? "/plugins" : path(plugin), context.signal),
  print(body: any, context) {
    if (body.plugins === undefined) {
      context.stdout.write(`${body.name} ${body.version}: ${body.state}\n${JSON.stringify(body, null, 2)}\n`);
      return;
    }
    const bad = body.plugins.filter((p: PluginRow) => p.state !== "ready" && p.state !== "disabled");
    context.stdout.write(`${bad.length === 0 ? "ok" : "degraded"}: ${body.plugins.length} plugins${bad.length ? `; not ready: ${bad.map((p: PluginRow) => `${p.name} (${p.state})`).join(", ")}` : ""}\n`);
  },
});

export const enable = hostCommand({
  name: "enable", summary: "enable a plugin on a running host", usage: "enable <plugin> [--host URL] [--json]",
  description: "Starts a disabled plugin again, and the plugins that were disabled with it.",
  permission: "plugins.operate", plugin: true,
  request: (target, plugin, _v, context) => adminSend(target, "POST", path(plugin, "/enable"), {}, context.signal),
  print: printMessage,
});

export const disable = hostCommand({
  name: "disable", summary: "disable a plugin on a running host", usage: "disable <plugin> [--dependents disable|keep] [--reason text] [--host URL] [--json]",
  description: "Stops a plugin (its requests in flight finish); new requests get 503. Refused when enabled plugins\ndepend on it, unless --dependents says what to do with them.",
  permission: "plugins.operate", plugin: true,
  options: { dependents: { type: "string", help: "disable: disable them too; keep: leave them running" }, reason: { type: "string", help: "recorded and shown in /health" } },
  request: (target, plugin, values, context) => adminSend(target, "POST", path(plugin, "/disable"), {
    ...(values.dependents === undefined ? {} : { dependents: values.dependents }), ...(values.reason === undefined ? {} : { reason: values.reason }),
  }, context.signal),
  print: printMessage,
});

export const uninstall = hostCommand({
  name: "uninstall", summary: "uninstall a plugin from a running host", usage: "uninstall <plugin> [--purge] [--host URL] [--json]",
  description: "Uninstalls the plugin from every host on the database (each stops and unloads it; it stays uninstalled,\neven across restarts, until installed again). This host moves its folder to <dataDir>/uninstalled/.\n--purge also drops its database schema and role.",
  permission: "plugins.manage", plugin: true,
  options: { purge: { type: "boolean", help: "drop its data as well (cannot be undone)" } },
  request: (target, plugin, values, context) => adminSend(target, "POST", path(plugin, `/uninstall${values.purge ? "?purge=true" : ""}`), {}, context.signal),
  print: (body: { name: string; movedTo: string; purged: boolean }, context) => context.stdout.write(
    `uninstalled "${body.name}" on every host; its folder was moved to ${body.movedTo}; its data was ${body.purged ? "dropped" : "kept (--purge drops it)"}\n`),
});

export const logs = hostCommand({
  name: "logs", summary: "a plugin's recent log records on a running host", usage: "logs <plugin> [--level L] [--limit N] [--host URL] [--json]",
  description: "Prints the plugin's most recent log records kept by the host (oldest first).",
  permission: "observe.read", plugin: true,
  options: { level: { type: "string", help: "lowest level: debug, info, warn, error (default debug)" }, limit: { type: "string", help: "how many (default 100)" } },
  request: (target, plugin, values, context) => {
    const q = new URLSearchParams();
    if (values.level !== undefined) q.set("level", String(values.level));
    if (values.limit !== undefined) q.set("limit", String(values.limit));
    return adminFetch(target, "GET", path(plugin, `/logs${q.size ? `?${q}` : ""}`), context.signal);
  },
  print(body: { records: { time?: string; level?: string; msg?: string; [k: string]: unknown }[] }, context) {
    for (const r of body.records) context.stdout.write(`${r.time ?? ""} ${String(r.level ?? "").padEnd(5)} ${r.msg ?? JSON.stringify(r)}\n`);
  },
});

export const migrate = hostCommand({
  name: "migrate", summary: "a plugin's migrations on a running host: status, apply, undo", usage: "migrate <plugin> [--status | --down] [--host URL] [--json]",
  description: "Applies the plugin's pending migrations (default), shows their status (--status), or undoes the newest (--down).",
  permission: "plugins.manage (plugins.read for --status)", plugin: true,
  options: { status: { type: "boolean", help: "only show applied and pending migrations" }, down: { type: "boolean", help: "undo the newest applied migration" } },
  request: (target, plugin, values, context) => values.status
    ? adminFetch(target, "GET", path(plugin, "/migrations"), context.signal)
    : adminSend(target, "POST", path(plugin, values.down ? "/migrations/down" : "/migrations/latest"), {}, context.signal),
  print: (body, context) => context.stdout.write(`${JSON.stringify(body, null, 2)}\n`),
});
