/**
 * `corral install <folder|file.corral>` and `corral update <file.corral>`: install a version on a
 * running host through its admin API. A package is checked here first (offline, so a bad one
 * fails fast with the file named) and again by the host, which alone decides on trust and
 * permissions. `update` installs and activates, showing the permission difference; the host
 * refuses an escalation unless --accept-permissions.
 */
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, UsageError } from "./cli.ts";
import { adminSend, adminTarget, readJsonAnswer } from "./admin-client.ts";
import { colours, parseCommandArgs, progress, writeJson } from "./options.ts";

/** The host refused an update that asks for more permissions (see --accept-permissions). */
export const ESCALATION_REFUSED = 4;

const INSTALL_HELP = `Usage: npx corral install <folder|file.corral> [--activate] [--accept-permissions] [--host URL] [--json]

Installs a plugin version on a running host (admin API, permission "plugins.manage").
- A .corral package is checked locally (every file against corral-files.json), then uploaded to
  POST /admin/plugins/install-package. The host checks it again, with its manifest schema, host
  API range, dependencies, policy, and signature: outside development mode an unsigned package,
  or one signed by a key not in <dataDir>/trusted-keys/, is refused (policy "packages").
- A folder is installed from the host's own file system (POST /admin/plugins/install {"path"}):
  the host must see that folder (same machine). Folders are not signed.
The version is stored; --activate switches to it (corral update does both).

Options:
  --activate              activate the version once installed
  --accept-permissions    accept more permissions than the running version has (see corral update)
  --host URL              the host (default CORRAL_URL, else http://127.0.0.1:$PORT)
  --json                  print the host's answer
  -h, --help              show this help

Token: CORRAL_ADMIN_TOKEN, else <CORRAL_DATA_DIR or ./.corral>/admin-token.
Exit codes: 0 installed, 2 usage, 3 refused (the reason is printed), 4 permission escalation refused.
`;

const UPDATE_HELP = `Usage: npx corral update <file.corral> [--accept-permissions] [--host URL] [--json]

Installs and activates a new version of an installed plugin on a running host. Before anything
changes, the host compares its permissions (net, read, env, database, cache, global hooks,
dependencies, contributions) with the running version's: the difference is printed, and an
escalation (anything added) is refused, exit 4, unless --accept-permissions.

Options:
  --accept-permissions    accept the added permissions
  --host URL              the host (default CORRAL_URL, else http://127.0.0.1:$PORT)
  --json                  print the host's answer
  -h, --help              show this help

Exit codes: 0 updated, 2 usage, 3 refused (the reason is printed), 4 permission escalation refused.
`;

interface Answer {
  readonly name: string;
  readonly version: string;
  readonly message: string;
  readonly signature?: { status: string; keyId?: string };
  readonly permissions?: { added: { grant: string; value: string }[]; removed: { grant: string; value: string }[] };
}

async function installOrUpdate(kind: "install" | "update", args: readonly string[], context: CliContext): Promise<number> {
  const help = kind === "install" ? INSTALL_HELP : UPDATE_HELP;
  const { values, positionals } = parseCommandArgs(kind, args, {
    "accept-permissions": { type: "boolean" }, host: { type: "string" }, json: { type: "boolean" },
    ...(kind === "install" ? { activate: { type: "boolean" } } : {}),
  });
  if (values.help) return (context.stdout.write(help), ExitCode.OK);
  if (positionals.length !== 1) throw new UsageError(`corral ${kind} needs one ${kind === "install" ? "folder or " : ""}package file`);
  const source = resolve(context.cwd, positionals[0]!);
  const c = colours(context.stdout, context.env);
  const activate = kind === "update" || (values as { activate?: boolean }).activate === true;
  const isFolder = (await stat(source).catch(() => undefined))?.isDirectory() === true;
  if (kind === "update" && isFolder) throw new UsageError("corral update takes a .corral package (corral pack makes one)");
  const steps = progress(context, isFolder ? 2 : 3, values.json === true);
  const target = await adminTarget(context, values.host);
  let response: Response;
  if (isFolder) {
    steps.step(`installing ${source} on ${target.url}`);
    response = await adminSend(target, "POST", "/plugins/install", { path: source }, context.signal);
  } else {
    const { checkFiles, openPackage } = await import("../packages/package.ts");
    steps.step(`checking ${source}`);
    const bytes = await readFile(source);
    checkFiles(openPackage(bytes));
    steps.step(`uploading ${bytes.length} bytes to ${target.url}`);
    const query = [activate ? "activate=1" : "", values["accept-permissions"] ? "acceptPermissions=1" : ""].filter(Boolean).join("&");
    response = await adminSend(target, "POST", `/plugins/install-package${query ? `?${query}` : ""}`, bytes, context.signal);
  }
  steps.step(response.ok ? "done" : "refused");
  steps.done();
  const answer = await readJsonAnswer<{ error?: { code: string; message: string } } & Partial<Answer>>(response, context);
  if (answer === undefined) return ExitCode.CANNOT_RUN;
  const body = answer.body;
  if (values.json) writeJson(context, body);
  if (body.error !== undefined) {
    if (!values.json) context.stderr.write(`corral: ${c.red(body.error.code)}: ${body.error.message}\n`);
    return body.error.code === "CORRAL_E_PERMISSION_ESCALATION" ? ESCALATION_REFUSED : ExitCode.CANNOT_RUN;
  }
  if (isFolder && activate && body.name !== undefined && body.version !== undefined) {
    const activated = await adminSend(target, "POST", `/plugins/${encodeURIComponent(body.name)}/activate`, { version: body.version }, context.signal);
    if (!activated.ok) {
      context.stderr.write(`corral: installed, but activating failed: ${await activated.text()}\n`);
      return ExitCode.CANNOT_RUN;
    }
  }
  if (!values.json) {
    const changes = body.permissions;
    if (changes !== undefined && changes.added.length + changes.removed.length > 0) {
      context.stdout.write(`permissions:\n${[...changes.added.map((p) => c.yellow(`  + ${p.grant} ${p.value}`)), ...changes.removed.map((p) => `  - ${p.grant} ${p.value}`)].join("\n")}\n`);
    }
    if (body.signature !== undefined) context.stdout.write(`signature: ${body.signature.status}${body.signature.keyId ? ` (key ${body.signature.keyId})` : ""}\n`);
    context.stdout.write(`${c.green(body.message ?? "done")}\n`);
  }
  return ExitCode.OK;
}

export const install: CliCommand = {
  name: "install",
  summary: "install a plugin (folder or .corral package) on a running host",
  help: INSTALL_HELP,
  run: (args, context) => installOrUpdate("install", args, context),
};

export const update: CliCommand = {
  name: "update",
  summary: "install and activate a new version, reviewing its permissions",
  help: UPDATE_HELP,
  run: (args, context) => installOrUpdate("update", args, context),
};
