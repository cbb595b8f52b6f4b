/**
 * `corral install <folder|file.corral|name[@range]>` and `corral update <file.corral|name[@range]>`:
 * install a version on a running host through its admin API. A package, from disk or from a
 * registry (host/cli/registry-install.ts), is checked here first (offline, so a bad one fails fast
 * with the file named) and again by the host, which alone decides on trust and permissions.
 * `update` installs and activates, showing the permission difference; the host refuses an
 * escalation unless --accept-permissions.
 */
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import semver from "semver";
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, UsageError } from "./cli.ts";
import { adminSend, adminTarget, readJsonAnswer, type AdminTarget } from "./admin-client.ts";
import { colours, parseCommandArgs, progress, transferProgress, writeJson } from "./options.ts";
import { chooseVersion, looksLikeSpec, parseSpec } from "./registry-install.ts";
import { registryUrl } from "./registry-target.ts";
import { describeSignerChange, signerChange, type SignerChange } from "./signer-review.ts";


const REGISTRY_HELP = `From a registry (--registry URL or CORRAL_REGISTRY_URL): <name> takes the newest version
whose "hostApi" admits the host's version; <name>@<range> (e.g. notes@^1.2) the newest in the
range. The package is downloaded (a progress bar on a terminal), its SHA-256 checked against the
registry's, then checked and installed exactly as a .corral file.`;

const INSTALL_HELP = `Usage: npx corral install <folder|file.corral|name[@range]> [--activate] [--accept-permissions]
                          [--registry URL] [--host URL] [--json]

Installs a plugin version on a running host (admin API, permission "plugins.manage").
- A .corral package is checked locally (every file against corral-files.json), then uploaded to
  POST /admin/plugins/install-package. The host checks it again, with its manifest schema, host
  API range, dependencies, policy, and signature: outside development mode an unsigned package,
  or one signed by a key not in <dataDir>/trusted-keys/, is refused (policy "packages").
- A folder is installed from the host's own file system (POST /admin/plugins/install {"path"}):
  the host must see that folder (same machine). Folders are not signed.
- A name is installed from a registry. ${REGISTRY_HELP.split("\n").join("\n  ")}
The version is stored; --activate switches to it (corral update does both).

Options:
  --activate              activate the version once installed
  --accept-permissions    accept more permissions than the running version has (see corral update)
  --registry URL          the registry for <name> (default CORRAL_REGISTRY_URL)
  --host URL              the host (default CORRAL_URL, else http://127.0.0.1:$PORT)
  --json                  print the host's answer
  -h, --help              show this help

Token: CORRAL_ADMIN_TOKEN, else <CORRAL_DATA_DIR or ./.corral>/admin-token.
Exit codes: 0 installed, 2 usage, 3 refused or unreachable (the reason is printed; for a name:
unknown plugin, no version in the range, registry unreachable), 4 permission escalation refused.
`;

const UPDATE_HELP = `Usage: npx corral update <file.corral|name[@range]> [--accept-permissions] [--registry URL] [--host URL] [--json]

Installs and activates a new version of an installed plugin on a running host. Before anything
changes, the host compares its permissions (net, read, env, database, cache, host services,
identity, global hooks, dependencies, contributions, commands), route roles and limits with the
running version's: the difference is printed (and, from a registry, a change of signing key with
the rotations the registry recorded), and an escalation (a grant added, a route opened to
more users, a limit raised) is refused, exit 4, unless --accept-permissions.
${REGISTRY_HELP} <name> alone updates to the newest such version; when
the host runs it already, nothing changes (exit 0).

Options:
  --accept-permissions    accept the added permissions
  --registry URL          the registry for <name> (default CORRAL_REGISTRY_URL)
  --host URL              the host (default CORRAL_URL, else http://127.0.0.1:$PORT)
  --json                  print the host's answer
  -h, --help              show this help

Exit codes: 0 updated (or up to date), 2 usage, 3 refused or unreachable (the reason is printed),
4 permission escalation refused.
`;

interface Answer {
  readonly name: string;
  readonly version: string;
  readonly message: string;
  readonly signature?: { status: string; keyId?: string };
  readonly permissions?: { added: { grant: string; value: string }[]; removed: { grant: string; value: string }[] };
}

/** What `corral install` / `update` was given, read into what the host is sent. */
type Source =
  | { readonly kind: "folder"; readonly path: string }
  | { readonly kind: "package"; readonly bytes: Buffer; readonly label: string; readonly signerChange?: SignerChange }
  | { readonly kind: "current"; readonly message: string };

async function installOrUpdate(kind: "install" | "update", args: readonly string[], context: CliContext): Promise<number> {
  const help = kind === "install" ? INSTALL_HELP : UPDATE_HELP;
  const { values, positionals } = parseCommandArgs(kind, args, {
    "accept-permissions": { type: "boolean" }, host: { type: "string" }, registry: { type: "string" }, json: { type: "boolean" },
    ...(kind === "install" ? { activate: { type: "boolean" } } : {}),
  });
  if (values.help) return (context.stdout.write(help), ExitCode.OK);
  if (positionals.length !== 1) throw new UsageError(`corral ${kind} needs one ${kind === "install" ? "folder, " : ""}package file or plugin name`);
  const c = colours(context.stdout, context.env);
  const activate = kind === "update" || (values as { activate?: boolean }).activate === true;
  const quiet = values.json === true;
  const target = await adminTarget(context, values.host);
  const source = await readSource(kind, positionals[0]!, { registry: values.registry, quiet, target }, context);
  if (source.kind === "current") {
    if (values.json) writeJson(context, { message: source.message, changed: false });
    else context.stdout.write(`${source.message}\n`);
    return ExitCode.OK;
  }
  const change = source.kind === "package" ? source.signerChange : undefined;
  // Shown before the upload, so it is part of the review whatever the host answers.
  if (change !== undefined && !quiet) context.stdout.write(`${c.yellow(describeSignerChange(change))}\n`);
  const steps = progress(context, 2, quiet);
  let response: Response;
  if (source.kind === "folder") {
    steps.step(`installing ${source.path} on ${target.url}`);
    response = await adminSend(target, "POST", "/plugins/install", { path: source.path }, context.signal);
  } else {
    steps.step(`uploading ${source.label} (${source.bytes.length} bytes) to ${target.url}`);
    const query = [activate ? "activate=1" : "", values["accept-permissions"] ? "acceptPermissions=1" : ""].filter(Boolean).join("&");
    response = await adminSend(target, "POST", `/plugins/install-package${query ? `?${query}` : ""}`, source.bytes, context.signal);
  }
  const isFolder = source.kind === "folder";
  steps.step(response.ok ? "done" : "refused");
  steps.done();
  const answer = await readJsonAnswer<{ error?: { code: string; message: string } } & Partial<Answer>>(response, context);
  if (answer === undefined) return ExitCode.CANNOT_RUN;
  const body = answer.body;
  if (values.json) writeJson(context, change === undefined ? body : { ...body, signerChange: change });
  if (body.error !== undefined) {
    if (!values.json) context.stderr.write(`corral: ${c.red(body.error.code)}: ${body.error.message}\n`);
    return body.error.code === "CORRAL_E_PERMISSION_ESCALATION" ? ExitCode.ESCALATION_REFUSED : ExitCode.CANNOT_RUN;
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

/**
 * A folder or `.corral` file on disk; otherwise a registry name, resolved against the host's
 * version (and, for update, its running version) and downloaded.
 */
async function readSource(kind: "install" | "update", given: string, options: { registry: string | undefined; quiet: boolean; target: AdminTarget }, context: CliContext): Promise<Source> {
  const path = resolve(context.cwd, given);
  const found = await stat(path).catch(() => undefined);
  // `update` never takes a folder: a name that is also a folder here (the plugin's own source, say) is the registry's.
  const asName = found?.isDirectory() === true && kind === "update" && looksLikeSpec(given);
  if (found?.isDirectory() && !asName) {
    if (kind === "update") throw new UsageError("corral update takes a .corral package or a plugin name (corral pack makes a package)");
    return { kind: "folder", path };
  }
  const { checkFiles, openPackage } = await import("../packages/package.ts");
  if (found !== undefined && !asName) {
    const bytes = await readFile(path);
    checkFiles(openPackage(bytes));
    return { kind: "package", bytes, label: path };
  }
  if (!looksLikeSpec(given)) throw new UsageError(`${path} does not exist (and ${JSON.stringify(given)} is not a plugin name to take from a registry)`);
  if (options.registry === undefined && !(context.env.CORRAL_REGISTRY_URL || context.env.CORRAL_REGISTRY)) {
    throw new UsageError(`${JSON.stringify(given)} is not a file or folder here; to take it from a registry pass --registry <URL> or set CORRAL_REGISTRY_URL`);
  }
  const spec = parseSpec(given);
  const host = await hostFacts(options.target, spec.name);
  const { RegistryClient } = await import("../registry-client/registry-client.ts");
  const client = new RegistryClient({ url: registryUrl(options.registry, context), timeoutMs: 60_000 });
  if (kind === "update" && host.running === undefined) {
    throw new UsageError(`"${spec.name}" is not installed on ${options.target.url}; install it: npx corral install ${given} --activate`);
  }
  const versions = await client.versions(spec.name);
  const chosen = chooseVersion(spec.name, versions, spec.range, host.version);
  if (kind === "update" && spec.range === undefined && host.running !== undefined && semver.valid(host.running) !== null && semver.lt(chosen.version, host.running)) {
    return { kind: "current", message: `"${spec.name}" ${host.running} runs on ${options.target.url}, newer than ${chosen.version}, the registry's newest for this host; name a range to go back (${spec.name}@${chosen.version})` };
  }
  if (host.running === chosen.version) {
    return { kind: "current", message: `"${spec.name}" ${chosen.version} is already the running version on ${options.target.url}${spec.range === undefined ? " (the newest this host can run)" : ` (the newest in ${spec.range})`}` };
  }
  const bar = transferProgress(context, `downloading ${spec.name}@${chosen.version}`, options.quiet);
  let download: { bytes: Buffer; sha256: string };
  try {
    download = await client.download(spec.name, chosen.version, bar.update);
  } finally {
    bar.done();
  }
  const { bytes } = download;
  // The download's own header was checked by the client; the listing is a second, separate source.
  if (download.sha256 !== chosen.sha256) {
    const { CorralError, ErrorCode } = await import("../../schemas/errors.ts");
    throw new CorralError(ErrorCode.REGISTRY_UNREACHABLE,
      `${spec.name}@${chosen.version}: the registry listed sha256 ${chosen.sha256} but served ${download.sha256}; refusing it (a changed package or a proxy in between)`);
  }
  if (!options.quiet) context.stderr.write(`${spec.name}@${chosen.version} from ${client.url}: sha256 ${chosen.sha256} checked\n`);
  checkFiles(openPackage(bytes));
  const change = await signerChange(client, spec.name, versions, host.running, chosen);
  return { kind: "package", bytes, label: `${spec.name}@${chosen.version}`, ...(change === undefined ? {} : { signerChange: change }) };
}

/** The host's version (what `hostApi` ranges are checked against) and the version of `name` it runs. */
async function hostFacts(target: AdminTarget, name: string): Promise<{ version: string; running: string | undefined }> {
  const { CorralError, ErrorCode } = await import("../../schemas/errors.ts");
  let report: { version?: unknown; plugins?: { name: string; version: string }[] };
  try {
    report = await (await fetch(`${target.url}/health`)).json() as typeof report;
  } catch (error) {
    throw new CorralError(ErrorCode.ENVIRONMENT, `cannot read ${target.url}/health to learn the host's version: ${(error as Error).message}; is the host running? (--host or CORRAL_URL)`);
  }
  if (typeof report.version !== "string") throw new CorralError(ErrorCode.ENVIRONMENT, `${target.url}/health does not say the host's version: is that a Corral host?`);
  return { version: report.version, running: report.plugins?.find((p) => p.name === name)?.version };
}

export const install: CliCommand = {
  name: "install",
  summary: "install a plugin (folder, .corral package, or name from a registry) on a running host",
  help: INSTALL_HELP,
  run: (args, context) => installOrUpdate("install", args, context),
};

export const update: CliCommand = {
  name: "update",
  summary: "install and activate a new version, reviewing its permissions",
  help: UPDATE_HELP,
  run: (args, context) => installOrUpdate("update", args, context),
};
