/** `corral sign <file.corral> --key <file.key>`: adds an Ed25519 signature over the file list. */
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, UsageError } from "./cli.ts";
import { parseCommandArgs, writeJson } from "./options.ts";

const HELP = `Usage: npx corral sign <file.corral> --key <file.key> [--out <file>] [--json]

Checks every file of the package against its corral-files.json, then signs that list with the
Ed25519 private key (from corral keygen) and writes the package with corral-signature.json
(replacing any earlier signature). The key may also come from CORRAL_SIGNING_KEY (a path).

Options:
  --key <file>   the private key (PEM); default $CORRAL_SIGNING_KEY
  --out <file>   write the signed package there (default: in place)
  --json         print {"file","keyId"}
  -h, --help     show this help

Exit codes: 0 signed, 2 usage, 3 the package is invalid (the file is named) or the key unusable.
`;

export const sign: CliCommand = {
  name: "sign",
  summary: "sign a .corral package with an Ed25519 key",
  help: HELP,
  async run(args: readonly string[], context: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs("sign", args, { key: { type: "string" }, out: { type: "string" }, json: { type: "boolean" } });
    if (values.help) return (context.stdout.write(HELP), ExitCode.OK);
    if (positionals.length !== 1) throw new UsageError("corral sign needs one package file, e.g. corral sign notes-1.0.0.corral --key me.key");
    const keyPath = values.key ?? context.env.CORRAL_SIGNING_KEY;
    if (keyPath === undefined || keyPath === "") throw new UsageError("corral sign needs --key <file.key> (or CORRAL_SIGNING_KEY); make one with corral keygen");
    const { checkFiles, openPackage } = await import("../packages/package.ts");
    const { signPackage } = await import("../packages/signing.ts");
    const file = resolve(context.cwd, positionals[0]!);
    const pkg = openPackage(await readFile(file));
    checkFiles(pkg);
    const { bytes, signature } = signPackage(pkg, await readFile(resolve(context.cwd, keyPath), "utf8"));
    const out = resolve(context.cwd, values.out ?? file);
    await writeFile(out, bytes);
    if (values.json) writeJson(context, { file: out, keyId: signature.keyId });
    else context.stdout.write(`${out}\nsigned by key ${signature.keyId}\n`);
    return ExitCode.OK;
  },
};
