/**
 * How CLI commands that act on a running host reach its admin API: the URL from `--host` or
 * CORRAL_URL (default http://127.0.0.1:$PORT, PORT 8080), the bearer token from
 * CORRAL_ADMIN_TOKEN or the data folder's admin-token file (CORRAL_DATA_DIR, default ./.corral).
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { ADMIN_TOKEN_FILE } from "../admin-token.ts";
import type { CliContext } from "./cli.ts";

export interface AdminTarget {
  readonly url: string;
  readonly token: string;
}

/** Resolves the host URL and token; `host` is the `--host` option when given. */
export async function adminTarget(context: CliContext, host: string | undefined): Promise<AdminTarget> {
  const port = context.env.PORT || "8080";
  const url = (host ?? context.env.CORRAL_URL ?? `http://127.0.0.1:${port}`).replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]+$/.test(url)) {
    throw new CorralError(ErrorCode.ENVIRONMENT, `the host URL must look like http://host:port, got ${JSON.stringify(url)} (--host or CORRAL_URL)`);
  }
  const fromEnv = context.env.CORRAL_ADMIN_TOKEN;
  if (fromEnv !== undefined && fromEnv !== "") return { url, token: fromEnv };
  const file = join(resolve(context.cwd, context.env.CORRAL_DATA_DIR || ".corral"), ADMIN_TOKEN_FILE);
  try {
    return { url, token: (await readFile(file, "utf8")).trim() };
  } catch {
    throw new CorralError(ErrorCode.ENVIRONMENT,
      `no admin token: set CORRAL_ADMIN_TOKEN, or run from the host's folder so ${file} can be read (or set CORRAL_DATA_DIR)`);
  }
}

/** One admin API call; answers the Response, or throws ENVIRONMENT when the host cannot be reached. */
export function adminFetch(target: AdminTarget, method: string, path: string, signal?: AbortSignal): Promise<Response> {
  return adminRequest(target, method, path, {}, undefined, signal);
}

/** The admin API's error answer as `CODE: message`, for stderr. */
export async function describeFailure(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string } };
    return `${error.code}: ${error.message}`;
  } catch {
    return `HTTP ${response.status}: ${text.slice(0, 200)}`;
  }
}

/** An admin API call with a body (JSON, or bytes such as a package); errors as in adminFetch. */
export function adminSend(target: AdminTarget, method: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  const bytes = Buffer.isBuffer(body);
  return adminRequest(target, method, path, { "content-type": bytes ? "application/octet-stream" : "application/json" },
    bytes ? (body as Buffer) : JSON.stringify(body ?? {}), signal);
}

/**
 * An answer of the admin API read as JSON, with its text (for messages). A body that is not JSON
 * (a proxy's page, say) is reported on stderr as `HTTP <status>: <start of the text>`; undefined then.
 */
export async function readJsonAnswer<T>(response: Response, context: CliContext): Promise<{ readonly body: T; readonly text: string } | undefined> {
  const text = await response.text();
  try {
    return { body: JSON.parse(text) as T, text };
  } catch {
    context.stderr.write(`corral: HTTP ${response.status}: ${text.slice(0, 200)}\n`);
    return undefined;
  }
}

async function adminRequest(
  target: AdminTarget, method: string, path: string, headers: Record<string, string>, body: string | Buffer | undefined, signal: AbortSignal | undefined,
): Promise<Response> {
  try {
    return await fetch(`${target.url}/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${target.token}`, ...headers },
      ...(body === undefined ? {} : { body }),
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new CorralError(ErrorCode.ENVIRONMENT,
      `cannot reach the host at ${target.url}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}; is it running? (--host or CORRAL_URL)`);
  }
}
