/** `corral pack [folder]`: a reproducible `.corral` package of a plugin folder. */
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, UsageError } from "./cli.ts";
import { parseCommandArgs, writeJson } from "./options.ts";

const HELP = `Usage: npx corral pack [<folder>] [--out <file>] [--json]

Packs the plugin folder (default: the current folder) into <name>-<version>.corral: a gzip'd tar
of the folder (node_modules and .git left out; symlinks refused), with corral-files.json listing
every file's SHA-256. Reproducible: the same files give the same bytes (sorted entries, fixed
modes, owners and times, no gzip timestamp). Prints the file's path and SHA-256.

Options:
  --out <file>   where to write (default ./<name>-<version>.corral)
  --json         print {"file","name","version","sha256","files"}
  -h, --help     show this help

Exit codes: 0 written, 2 usage, 3 not a valid plugin folder (the manifest error is printed).
`;

export const pack: CliCommand = {
  name: "pack",
  summary: "pack a plugin folder into a reproducible .corral package",
  help: HELP,
  async run(args: readonly string[], context: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs("pack", args, { out: { type: "string" }, json: { type: "boolean" } });
    if (values.help) return (context.stdout.write(HELP), ExitCode.OK);
    if (positionals.length > 1) throw new UsageError(`corral pack takes one folder, got ${positionals.length}`);
    const { packFolder, packageFileName } = await import("../packages/package.ts");
    const dir = resolve(context.cwd, positionals[0] ?? ".");
    const { bytes, list } = await packFolder(dir);
    const file = resolve(context.cwd, values.out ?? packageFileName(list));
    await writeFile(file, bytes);
    const digest = createHash("sha256").update(bytes).digest("hex");
    if (values.json) writeJson(context, { file, name: list.name, version: list.version, sha256: digest, files: list.files.length });
    else context.stdout.write(`${file}\n${list.name} ${list.version}: ${list.files.length} files, ${bytes.length} bytes, sha256 ${digest}\n`);
    return ExitCode.OK;
  },
};
