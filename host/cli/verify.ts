/** `corral verify <file.corral>`: checks every file against the list, and the signature. */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, UsageError } from "./cli.ts";
import { colours, parseCommandArgs, writeJson } from "./options.ts";

const HELP = `Usage: npx corral verify <file.corral> [--trusted-keys <dir>] [--allow-unsigned] [--json]

Checks the package offline as a host would before installing it: the archive holds only regular
files with plain paths; every file matches its SHA-256 in corral-files.json, none is missing and
none is extra (the first bad file is named); the manifest is valid; the signature verifies over
the list and its key is among the trusted keys (*.pub in --trusted-keys, default
<CORRAL_DATA_DIR or ./.corral>/trusted-keys).

Options:
  --trusted-keys <dir>  folder of trusted public keys (*.pub)
  --allow-unsigned      an unsigned package passes (a signed one must still verify)
  --allow-untrusted     a package signed by a key not trusted passes (it must still verify)
  --json                print {"ok","name","version","files","signature","error"?}
  -h, --help            show this help

Exit codes: 0 valid and trusted, 2 usage, 3 refused (invalid, unsigned, untrusted or a bad signature).
`;

export const verify: CliCommand = {
  name: "verify",
  summary: "check a package's files and signature",
  help: HELP,
  async run(args: readonly string[], context: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs("verify", args, {
      "trusted-keys": { type: "string" }, "allow-unsigned": { type: "boolean" }, "allow-untrusted": { type: "boolean" }, json: { type: "boolean" },
    });
    if (values.help) return (context.stdout.write(HELP), ExitCode.OK);
    if (positionals.length !== 1) throw new UsageError("corral verify needs one package file");
    const { checkFiles, openPackage } = await import("../packages/package.ts");
    const { assertTrusted, loadTrustedKeys, trustStatus } = await import("../packages/signing.ts");
    const { CorralError } = await import("../../schemas/errors.ts");
    const keysDir = resolve(context.cwd, values["trusted-keys"] ?? join(context.env.CORRAL_DATA_DIR || ".corral", "trusted-keys"));
    const c = colours(context.stdout, context.env);
    let summary: Record<string, unknown> = { ok: false };
    try {
      const pkg = openPackage(await readFile(resolve(context.cwd, positionals[0]!)));
      summary = { ok: false, name: pkg.list.name, version: pkg.list.version, files: pkg.list.files.length };
      checkFiles(pkg);
      const status = trustStatus(pkg, await loadTrustedKeys(keysDir));
      summary = { ...summary, signature: status };
      assertTrusted(status, { allowUnsigned: values["allow-unsigned"] === true, allowUntrusted: values["allow-untrusted"] === true }, keysDir);
      summary = { ...summary, ok: true };
    } catch (error) {
      if (!(error instanceof CorralError)) throw error;
      summary = { ...summary, error: { code: error.code, message: error.message } };
    }
    if (values.json) writeJson(context, summary);
    else if (summary.ok) {
      const s = summary.signature as { status: string; keyId?: string; keyFile?: string };
      context.stdout.write(`${c.green("ok")} ${summary.name} ${summary.version}: ${summary.files} files match corral-files.json; ${
        s.status === "trusted" ? `signed by trusted key ${s.keyId} (${s.keyFile})` : s.status === "untrusted" ? `signed by key ${s.keyId} (not trusted here)` : "unsigned"}\n`);
    } else {
      const e = summary.error as { code: string; message: string };
      context.stderr.write(`corral: ${c.red(e.code)}: ${e.message}\n`);
    }
    return summary.ok ? ExitCode.OK : ExitCode.CANNOT_RUN;
  },
};
