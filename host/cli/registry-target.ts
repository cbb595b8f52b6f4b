/**
 * Which registry a command talks to, and as whom: the URL from `--registry` or
 * CORRAL_REGISTRY_URL (the host's variable too), the publisher token from a file given, else
 * CORRAL_REGISTRY_TOKEN, else the one `corral login` saved for that URL. A token is never taken
 * from the command line, where `ps` would show it.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { CliContext } from "./cli.ts";
import { UsageError } from "./cli.ts";
import { credentialsPath, savedToken } from "./credentials.ts";

/** The registry's base URL; a usage error when none is given. */
export function registryUrl(option: string | undefined, context: CliContext): string {
  const url = option ?? (context.env.CORRAL_REGISTRY_URL || context.env.CORRAL_REGISTRY || undefined);
  if (url === undefined || url === "") throw new UsageError("no registry given: pass --registry <URL> or set CORRAL_REGISTRY_URL");
  return url.replace(/\/+$/, "");
}

/** The token for `url`: the file given, else CORRAL_REGISTRY_TOKEN, else the one saved by corral login. */
export async function registryToken(file: string | undefined, context: CliContext, url: string): Promise<string> {
  if (file !== undefined) {
    const path = resolve(context.cwd, file);
    const token = await readFile(path, "utf8").then((t) => t.trim(), () => undefined);
    if (token === undefined || token === "") throw new CorralError(ErrorCode.ENVIRONMENT, `cannot read a registry token from ${path}`);
    return token;
  }
  const token = context.env.CORRAL_REGISTRY_TOKEN;
  if (token !== undefined && token !== "") return token;
  const saved = await savedToken(credentialsPath(context.env), url);
  if (saved !== undefined) return saved.token;
  throw new UsageError(`no registry token: set CORRAL_REGISTRY_TOKEN, log in to ${url} (npx corral login --registry ${url}) or pass --token-file <file>; ` +
    "the registry's operator creates accounts and tokens with npx corral registry account <name>");
}
