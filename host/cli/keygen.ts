/** `corral keygen`: writes an Ed25519 key pair for signing packages. */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, UsageError } from "./cli.ts";
import { parseCommandArgs, writeJson } from "./options.ts";

const HELP = `Usage: npx corral keygen [--out <path>] [--force] [--json]

Writes a new Ed25519 key pair: <path>.key (private, PKCS#8 PEM, mode 0600) and <path>.pub
(public, SPKI PEM). Default <path>: ./corral-signing. Prints the key id. Sign packages with the
.key (corral sign); a host trusts the .pub once it is copied into <dataDir>/trusted-keys/.

Options:
  --out <path>   where to write (".key" and ".pub" are appended)
  --force        overwrite existing files
  --json         print {"keyId","privateKey","publicKey"} (the paths)
  -h, --help     show this help

Exit codes: 0 written, 2 usage, 3 the files exist (without --force) or cannot be written.
`;

export const keygen: CliCommand = {
  name: "keygen",
  summary: "write an Ed25519 key pair for signing packages",
  help: HELP,
  async run(args: readonly string[], context: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs("keygen", args, {
      out: { type: "string" }, force: { type: "boolean" }, json: { type: "boolean" },
    });
    if (values.help) return (context.stdout.write(HELP), ExitCode.OK);
    if (positionals.length > 0) throw new UsageError(`corral keygen takes no arguments, got ${JSON.stringify(positionals[0])} (use --out)`);
    const { generateSigningKeys } = await import("../packages/signing.ts");
    const base = resolve(context.cwd, values.out ?? "corral-signing");
    const keys = generateSigningKeys();
    const flag = values.force ? "w" : "wx";
    try {
      await writeFile(`${base}.key`, keys.privateKey, { mode: 0o600, flag });
      await writeFile(`${base}.pub`, keys.publicKey, { flag });
    } catch (error) {
      context.stderr.write(`corral: cannot write ${base}.key/.pub: ${(error as Error).message}${(error as NodeJS.ErrnoException).code === "EEXIST" ? " (use --force to overwrite, or --out)" : ""}\n`);
      return ExitCode.CANNOT_RUN;
    }
    if (values.json) writeJson(context, { keyId: keys.keyId, privateKey: `${base}.key`, publicKey: `${base}.pub` });
    else context.stdout.write(`key ${keys.keyId}\nprivate: ${base}.key (keep it secret)\npublic:  ${base}.pub (copy into a host's <dataDir>/trusted-keys/ to trust it)\n`);
    return ExitCode.OK;
  },
};
