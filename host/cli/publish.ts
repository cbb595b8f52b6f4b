/**
 * `corral publish [<file.corral>|<folder>]`: uploads a signed package to a registry. The package is
 * checked here first (every file against its list, the signature over the list), so an unsigned
 * or altered package is refused before anything is sent; the registry checks it all again.
 */
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, UsageError } from "./cli.ts";
import { colours, parseCommandArgs, transferProgress, writeJson } from "./options.ts";
import { registryUrl, registryToken } from "./registry-target.ts";

const HELP = `Usage: npx corral publish [<file.corral>|<folder>] [--registry URL] [--key <file.key>] [--keywords a,b]
                          [--rotate-key] [--json]

Publishes a plugin version to a registry (npx corral registry). With a folder (default: the
current folder) it is packed first, as corral pack does. The package must be signed: with
--key it is signed on the way (the file on disk is not changed); without, an unsigned package
is refused here, before anything is sent. Every file is checked against corral-files.json
first, and a changed one is named.

The registry reads the manifest, the signer's key and the changelog from inside the package:
the changelog of a version is the section of CHANGELOG.md whose heading names it, e.g.
"## [1.1.0] - 2024-05-01". A published version never changes; publish a new version instead.

Signing keys are pinned: the key of a plugin's first version is its key, and a version signed by
another is refused (both key ids named). --rotate-key replaces the pinned key with this
package's on purpose (a lost or compromised key): the registry records the change with its date,
shows it on the plugin's page and API, and corral update shows it to installers.

Options:
  --registry URL      the registry (default CORRAL_REGISTRY_URL)
  --key <file.key>    sign with this private key first (default CORRAL_SIGNING_KEY, if set)
  --keywords a,b      the plugin's keywords, for search (kept as they were when not given)
  --rotate-key        this package's key replaces the plugin's pinned key (recorded and shown)
  --token-file <f>    read the publisher token from this file
  --json              print the registry's answer (the version as published)
  -h, --help          show this help

Token: --token-file, else CORRAL_REGISTRY_TOKEN, else the one npx corral login saved for the
registry. The registry's operator creates accounts and their tokens: npx corral registry account <name>.
Exit codes: 0 published, 2 usage, 3 refused (unsigned, altered, not allowed, already published)
or the registry unreachable; the reason is printed.
`;

export const publish: CliCommand = {
  name: "publish",
  summary: "publish a signed plugin package to a registry",
  help: HELP,
  async run(args: readonly string[], context: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs("publish", args, {
      registry: { type: "string" }, key: { type: "string" }, keywords: { type: "string" }, "token-file": { type: "string" }, json: { type: "boolean" },
      "rotate-key": { type: "boolean" },
    });
    if (values.help) return (context.stdout.write(HELP), ExitCode.OK);
    if (positionals.length > 1) throw new UsageError(`corral publish takes one package file or folder, got ${positionals.length}`);
    const url = registryUrl(values.registry, context);
    const token = await registryToken(values["token-file"], context, url);
    const { checkFiles, openPackage, packFolder, SIGNATURE_FILE } = await import("../packages/package.ts");
    const { signatureVerifies, signPackage } = await import("../packages/signing.ts");
    const { CorralError, ErrorCode } = await import("../../schemas/errors.ts");
    const source = resolve(context.cwd, positionals[0] ?? ".");
    const kind = await stat(source).catch(() => undefined);
    if (kind === undefined) throw new UsageError(`${source} does not exist: give a .corral file or a plugin folder`);
    let bytes = kind.isDirectory() ? (await packFolder(source)).bytes : await readFile(source);
    let pkg = openPackage(bytes);
    const manifest = checkFiles(pkg);
    const keyPath = values.key ?? (context.env.CORRAL_SIGNING_KEY || undefined);
    if (keyPath !== undefined) {
      bytes = signPackage(pkg, await readFile(resolve(context.cwd, keyPath), "utf8")).bytes;
      pkg = openPackage(bytes);
    }
    if (pkg.signature === undefined) {
      throw new CorralError(ErrorCode.PACKAGE_UNTRUSTED,
        `${manifest.name}@${manifest.version} is unsigned, and registries accept signed packages only: sign it (npx corral sign <file> --key <file.key>) or pass --key`);
    }
    if (!signatureVerifies(pkg)) {
      throw new CorralError(ErrorCode.PACKAGE_UNTRUSTED,
        `the signature in ${SIGNATURE_FILE} does not verify over corral-files.json: the package changed after signing; sign it again`);
    }
    const { RegistryClient } = await import("../registry-client/registry-client.ts");
    const client = new RegistryClient({ url, token, timeoutMs: 60_000 });
    const bar = transferProgress(context, `publishing ${manifest.name}@${manifest.version}`, values.json === true);
    let published;
    try {
      published = await client.publish({ bytes, rotateKey: values["rotate-key"] === true, ...(values.keywords === undefined ? {} : { keywords: values.keywords.split(",").map((k) => k.trim()).filter((k) => k !== "") }) }, bar.update);
    } finally {
      bar.done();
    }
    if (values.json) {
      writeJson(context, published);
      return ExitCode.OK;
    }
    const c = colours(context.stdout, context.env);
    context.stdout.write(`${c.green("published")} ${published.name}@${published.version} to ${client.url}\n`);
    context.stdout.write(`sha256 ${published.sha256}, ${published.size} bytes, signed by key ${published.keyId}\n`);
    if (published.keyChange !== null) {
      context.stdout.write(`${c.yellow("signing key rotated")}: ${published.keyChange.from} -> ${published.keyChange.to} (recorded; shown to everyone who installs ${published.name})\n`);
    }
    context.stdout.write(published.changelog === ""
      ? `${c.yellow("no changelog")}: CHANGELOG.md has no section headed ${published.version} (e.g. "## [${published.version}]")\n`
      : `changelog:\n  ${published.changelog.split("\n").join("\n  ")}\n`);
    return ExitCode.OK;
  },
};
