/**
 * `corral dev [<folder>]`: a host serving just that plugin folder, in development mode (hot reload,
 * unsigned packages allowed), telling the author what it serves, what the plugin was granted and
 * how each reload went, until Ctrl-C stops everything.
 */
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, UsageError } from "./cli.ts";
import { colours, parseCommandArgs } from "./options.ts";
import type { LogRecord } from "../logger.ts";

const HELP = `Usage: npx corral dev [<folder>] [--port N] [--policy file] [--data-dir D] [--verbose] [--json]

Starts a host with just the plugin in <folder> (the folder holding plugin.json; default: the
current folder), in development mode:
  - a change to any file of the folder reloads the plugin: a new process starts from the folder
    and takes over once ready; when it fails, the reason is printed and the old one keeps serving
  - unsigned packages may be installed (the host policy's other rules still apply)
  - Postgres: DATABASE_URL when set, else the embedded one (in the data folder)
It prints the plugin's URL and its grants (after the host policy), each reload's result and the
plugin's log. Ctrl-C stops the host and the plugin (a second Ctrl-C: at once).

Options:
  --port <n>        port to listen on, on 127.0.0.1 (default PORT, else 8080; 0: any free port)
  --policy <file>   host policy JSON (default CORRAL_POLICY, else the built-in policy)
  --data-dir <dir>  keep the host's state (and the embedded Postgres) there; default: a temporary
                    folder removed on exit (never inside the plugin folder: it is watched)
  --verbose         print every host log record too (default: the plugin's, and the host's warnings)
  --json            print events as JSON lines on stdout instead of text
  -h, --help        show this help

Exit codes: 0 stopped by Ctrl-C or SIGTERM, 2 usage, 3 could not start (no plugin.json, an invalid
manifest, the port is taken, Postgres unavailable; the reason is on stderr).
`;

/** What the dev host says about a reload, taken from the host's log records. */
function reloadEvent(record: LogRecord): { kind: "changed" | "reloaded" | "failed"; detail: string } | undefined {
  const f = record.fields ?? {};
  if (record.message === "plugin folder changed; reloading") return { kind: "changed", detail: String(f.file ?? "") };
  if (record.message === "reload: switched to the new process") return { kind: "reloaded", detail: `version ${String(f.version)}, process ${String(f.pid)}` };
  if (record.message.startsWith("reload failed") || record.message.startsWith("reload refused")) {
    return { kind: "failed", detail: String(f.error ?? record.message) };
  }
  return undefined;
}

function grantLines(grants: { net: readonly string[]; read: readonly string[]; env: readonly string[]; memoryMb: number; timeoutMs: number; isolation: string; host?: readonly string[] }, database: boolean): string[] {
  const list = (values: readonly string[]) => (values.length === 0 ? "none" : values.join(", "));
  return [
    `  net        ${list(grants.net)}`,
    `  read       ${list(grants.read)}`,
    `  env        ${list(grants.env)}`,
    `  database   ${database ? "its own schema and role" : "none"}`,
    ...(grants.host && grants.host.length > 0 ? [`  host       ${list(grants.host)}`] : []),
    `  limits     ${grants.memoryMb} MB memory, ${grants.timeoutMs} ms per request`,
    `  isolation  ${grants.isolation === "namespace" ? "bubblewrap namespace + Deno permissions" : "Deno permissions only (bwrap not installed)"}`,
  ];
}

export const dev: CliCommand = {
  name: "dev",
  summary: "serve one plugin folder with hot reload (development mode)",
  help: HELP,
  async run(args: readonly string[], context: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs("dev", args, {
      port: { type: "string" }, policy: { type: "string" }, "data-dir": { type: "string" }, verbose: { type: "boolean" }, json: { type: "boolean" },
    });
    if (values.help) return (context.stdout.write(HELP), ExitCode.OK);
    if (positionals.length > 1) throw new UsageError(`corral dev serves one plugin folder, got ${positionals.length}`);
    const portText = values.port ?? context.env.PORT ?? "8080";
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got ${JSON.stringify(portText)}`);
    const c = colours(context.stdout, context.env);
    const say = (event: Record<string, unknown>, text: string) => {
      context.stdout.write(values.json ? `${JSON.stringify(event)}\n` : `${text}\n`);
    };
    // Loaded here, not at the top: `corral --help` should not pay for the host's modules.
    const { Logger } = await import("../logger.ts");
    const { startOnePluginHost } = await import("../dev/one-plugin-host.ts");
    let pluginName: string | undefined;
    const logger = new Logger({
      level: "debug",
      pretty: true,
      sink: (line, record) => {
        const ours = pluginName !== undefined && record.plugin === pluginName;
        const event = ours ? reloadEvent(record) : undefined;
        if (event?.kind === "changed") say({ event: "change", file: event.detail }, c.dim(`change: ${event.detail || "files changed"}; reloading`));
        else if (event?.kind === "reloaded") say({ event: "reload", ok: true, detail: event.detail }, `${c.green("reload ok")}: ${event.detail}`);
        else if (event?.kind === "failed") say({ event: "reload", ok: false, error: event.detail }, `${c.red("reload failed")}: ${event.detail}\n  the previous version keeps serving; fix the file and save again`);
        else if (values.verbose || record.level === "warn" || record.level === "error" || (ours && record.level !== "debug")) context.stderr.write(`${line}\n`);
      },
    });
    const databaseUrl = context.env.DATABASE_URL || undefined;
    const policy = values.policy ?? (context.env.CORRAL_POLICY || undefined);
    let running;
    try {
      running = await startOnePluginHost({
        folder: positionals[0] ?? ".", cwd: context.cwd, env: context.env, logger, port, dev: true,
        ...(databaseUrl === undefined ? {} : { databaseUrl }),
        ...(policy === undefined ? {} : { policy }),
        ...(values["data-dir"] === undefined ? {} : { dataDir: values["data-dir"] }),
      });
    } catch (error) {
      if ((error as { code?: string }).code === "EADDRINUSE") {
        context.stderr.write(`corral: port ${port} is taken; choose another with --port (0: any free port)\n`);
        return ExitCode.CANNOT_RUN;
      }
      throw error;
    }
    const { host, manifest, dir, dataDir } = running;
    pluginName = manifest.name;
    const health = host.health().plugins.find((p) => p.name === manifest.name) as { state: string; grants?: Parameters<typeof grantLines>[0]; failure?: string | null; pid?: number | null } | undefined;
    const url = `${host.url}/plugins/${manifest.name}/`;
    say({ event: "ready", name: manifest.name, version: manifest.version, dir, url, state: health?.state, grants: health?.grants, database: manifest.database, pid: health?.pid ?? null },
      [
        `${c.bold(manifest.name)} ${manifest.version} from ${dir}`,
        `serving ${c.bold(url)}  (state: ${health?.state === "ready" ? c.green("ready") : c.red(String(health?.state))}${health?.failure ? `: ${health.failure}` : ""})`,
        ...(health?.grants ? ["grants (after the host policy):", ...grantLines(health.grants, manifest.database)] : []),
        `database: ${databaseUrl === undefined ? "the embedded Postgres" : "DATABASE_URL"}; dashboard ${host.url}/admin/ui/ (token in ${dataDir}/admin-token)`,
        c.dim(`watching ${dir}; save a file to reload; Ctrl-C stops`),
      ].join("\n"));
    if (!context.signal.aborted) await new Promise((resolve) => context.signal.addEventListener("abort", resolve, { once: true }));
    say({ event: "stopping" }, "stopping...");
    await running.close("corral dev stopped");
    say({ event: "stopped" }, "stopped");
    return ExitCode.OK;
  },
};
