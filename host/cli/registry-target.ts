/**
 * Which registry a command talks to, and as whom: the URL from `--registry` or
 * CORRAL_REGISTRY_URL (the host's variable too), the publisher token from CORRAL_REGISTRY_TOKEN
 * or a file. A token is never taken from the command line, where `ps` would show it.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { CliContext } from "./cli.ts";
import { UsageError } from "./cli.ts";

/** The registry's base URL; a usage error when none is given. */
export function registryUrl(option: string | undefined, context: CliContext): string {
  const url = option ?? (context.env.CORRAL_REGISTRY_URL || context.env.CORRAL_REGISTRY || undefined);
  if (url === undefined || url === "") throw new UsageError("no registry given: pass --registry <URL> or set CORRAL_REGISTRY_URL");
  return url.replace(/\/+$/, "");
}

/** The publisher token: CORRAL_REGISTRY_TOKEN, else the file given. */
export async function registryToken(file: string | undefined, context: CliContext): Promise<string> {
  if (file !== undefined) {
    const path = resolve(context.cwd, file);
    const token = await readFile(path, "utf8").then((t) => t.trim(), () => undefined);
    if (token === undefined || token === "") throw new CorralError(ErrorCode.ENVIRONMENT, `cannot read a registry token from ${path}`);
    return token;
  }
  const token = context.env.CORRAL_REGISTRY_TOKEN;
  if (token === undefined || token === "") {
    throw new UsageError("no registry token: set CORRAL_REGISTRY_TOKEN (or --token-file <file>); the registry's operator creates one with npx corral registry account <name>");
  }
  return token;
}
