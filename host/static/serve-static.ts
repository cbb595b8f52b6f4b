/**
 * The HTTP handler for /plugins/<name>/static/<path>: answered by the host from disk, never by
 * the plugin process. Works on Node's request and response, like the forwarding path.
 */
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { errorAnswer } from "../http/error-response.ts";
import type { BeforeAnswer } from "../hooks/answer.ts";
import type { Logger } from "../logger.ts";
import type { StaticCatalog } from "./catalog.ts";
import { MAX_CACHED_BYTES, MIN_COMPRESS_BYTES, isCompressible, negotiateEncoding } from "./compression.ts";
import { etagFor, isNotModified } from "./conditional.ts";
import { contentTypeFor } from "./content-type.ts";
import { ifRangeAllows, parseRange } from "./range.ts";
import { resolveRequestPath } from "./resolve-path.ts";

/** For fingerprinted URLs: the content behind them never changes. */
export const IMMUTABLE = "public, max-age=31536000, immutable";
/** For plain URLs: the browser may keep a copy but asks (ETag / Last-Modified) before each use. */
export const REVALIDATE = "no-cache";
/** The same, for a file behind route roles: the browser may keep it, a shared cache may not. */
const PRIVATE: Readonly<Record<string, string>> = {
  [IMMUTABLE]: "private, max-age=31536000, immutable",
  [REVALIDATE]: "private, no-cache",
};

/** How a static request behind route roles is answered (see host/http/app.ts). */
export interface StaticOptions {
  /** The file is guarded by the plugin's `access` rules: never stored by shared caches. */
  readonly guarded?: boolean;
  /** The global afterRequest hooks of this request: they see (and may edit) the headers first. */
  readonly beforeAnswer?: BeforeAnswer;
}

const STATIC_MOUNT = /^\/plugins\/([^/?#]+)\/static(?:[/?#]|$)/;

/**
 * The plugin name when a raw request target lies under /plugins/<name>/static, else undefined.
 * Checked on the raw target: the router only sees the path after dot segments were removed.
 */
export function staticMountOf(rawUrl: string): string | undefined {
  return STATIC_MOUNT.exec(rawUrl)?.[1];
}

/** What a static request comes to: a status, headers, and the body to send for GET. */
interface StaticAnswer {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  /** Bytes, or a part of a file to stream (`start` to `end`, inclusive); none for 304. */
  readonly body?: Buffer | string | { readonly path: string; readonly start: number; readonly end: number };
  /** The host's error when the answer is one (for afterRequest hooks). */
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * Serves one static file request for plugin `name`. Never throws: a refusal or failure becomes
 * the host's JSON error (403 for a hostile path, 404 for a missing or hidden file, 405 for a
 * method other than GET and HEAD).
 *
 * A GET is written to `outgoing` (resolves undefined). A HEAD resolves to a bodiless `Response`
 * for the caller to return: Hono answers HEAD by running the GET route and wrapping its Response
 * in a new one, which a response already written to `outgoing` would not survive.
 */
export async function serveStatic(
  name: string,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  catalog: StaticCatalog,
  log: Logger,
  options: StaticOptions = {},
): Promise<Response | undefined> {
  let result: StaticAnswer;
  try {
    result = await answer(name, incoming, catalog, log);
  } catch (error) {
    if (!(error instanceof CorralError)) log.error("internal error while serving a static file", { plugin: name, url: incoming.url, error: (error as Error).stack ?? String(error) });
    const answered = errorAnswer(error);
    const headers: OutgoingHttpHeaders = { ...answered.headers };
    if (error instanceof CorralError && error.code === ErrorCode.METHOD_NOT_ALLOWED) headers.allow = "GET, HEAD";
    const corral = error instanceof CorralError ? error.toJSON() : undefined;
    result = { status: answered.status, headers, body: answered.body, ...(corral === undefined ? {} : { error: corral }) };
  }
  const cacheControl = result.headers["cache-control"];
  if (options.guarded === true && typeof cacheControl === "string") result.headers["cache-control"] = PRIVATE[cacheControl] ?? cacheControl;
  let headers: OutgoingHttpHeaders | string[] = result.headers;
  if (options.beforeAnswer !== undefined) {
    const list = headerList(result.headers).flat();
    await options.beforeAnswer({ status: result.status, headers: list, error: result.error ?? null });
    headers = list;
  }
  if (incoming.method === "HEAD") return new Response(null, { status: result.status, headers: Array.isArray(headers) ? pairsOf(headers) : headerList(headers) });
  await deliver(result, headers, outgoing);
  return undefined;
}

async function deliver(result: StaticAnswer, headers: OutgoingHttpHeaders | string[], outgoing: ServerResponse): Promise<void> {
  const body = result.body;
  if (body === undefined || typeof body === "string" || Buffer.isBuffer(body)) {
    outgoing.writeHead(result.status, headers);
    outgoing.end(body);
    return;
  }
  outgoing.writeHead(result.status, headers);
  try {
    await pipeline(createReadStream(body.path, { start: body.start, end: body.end }), outgoing);
  } catch {
    outgoing.destroy(); // the client went away, or the file vanished mid-way: nothing to answer
  }
}

async function answer(name: string, incoming: IncomingMessage, catalog: StaticCatalog, log: Logger): Promise<StaticAnswer> {
  const method = incoming.method ?? "GET";
  if (method !== "GET" && method !== "HEAD") {
    throw new CorralError(ErrorCode.METHOD_NOT_ALLOWED, `static files of plugin "${name}" answer GET and HEAD only, not ${method}`);
  }
  // The raw request target, not the router's normalized path: "static/a/../b" must be refused,
  // not quietly served as "static/b".
  const url = incoming.url ?? "/";
  const query = url.indexOf("?");
  const rawPath = query === -1 ? url : url.slice(0, query);
  const prefix = `/plugins/${name}/static/`;
  if (!rawPath.startsWith(prefix)) {
    if (rawPath === prefix.slice(0, -1)) throw notFound(name, "", "folders are not listed");
    throw new CorralError(ErrorCode.STATIC_REFUSED, `refused static path ${JSON.stringify(rawPath)}: it has dot segments or encoded characters before the file path; request /plugins/${name}/static/<file>`);
  }
  if (!catalog.has(name)) throw new CorralError(ErrorCode.PLUGIN_NOT_FOUND, `no plugin named "${name}" is installed`);
  const encodedPath = rawPath.slice(prefix.length);
  const resolved = resolveRequestPath(encodedPath);
  if (!resolved.ok) {
    log.debug("static path refused", { plugin: name, path: encodedPath, reason: resolved.reason });
    if (resolved.status === 403) throw new CorralError(ErrorCode.STATIC_REFUSED, `refused static path ${JSON.stringify(encodedPath)} of plugin "${name}": ${resolved.reason}`);
    throw notFound(name, encodedPath, resolved.reason);
  }
  const found = await catalog.lookup(name, resolved);
  if (found === undefined) throw new CorralError(ErrorCode.PLUGIN_NOT_FOUND, `no plugin named "${name}" is installed`);
  if (found.kind === "missing") {
    if (found.refused) log.warn("static file refused", { plugin: name, path: resolved.path, reason: found.reason });
    throw notFound(name, resolved.path, found.hint);
  }

  const { file, hash, immutable } = found;
  const type = contentTypeFor(resolved.path);
  const size = file.stats.size;
  const strongTag = etagFor(hash, false);
  const requested = parseRange(header(incoming, "range"), size);
  const range = requested !== undefined && ifRangeAllows(header(incoming, "if-range"), strongTag, file.stats.mtime) ? requested : undefined;
  // A range is of the stored bytes, so a ranged answer is never compressed.
  const encoding = range === undefined && isCompressible(type) && size >= MIN_COMPRESS_BYTES && size <= MAX_CACHED_BYTES
    ? negotiateEncoding(header(incoming, "accept-encoding"))
    : undefined;
  const headers: OutgoingHttpHeaders = {
    "content-type": type,
    "cache-control": immutable ? IMMUTABLE : REVALIDATE,
    "etag": encoding === undefined ? strongTag : etagFor(hash, true),
    "last-modified": file.stats.mtime.toUTCString(),
    "accept-ranges": "bytes",
    "x-content-type-options": "nosniff",
  };
  if (isCompressible(type)) headers.vary = "Accept-Encoding";

  if (isNotModified({ ifNoneMatch: header(incoming, "if-none-match"), ifModifiedSince: header(incoming, "if-modified-since") }, hash, file.stats.mtime)) {
    delete headers["content-type"];
    return { status: 304, headers };
  }
  const read = () => readFile(file.realPath);
  if (range === "unsatisfiable") {
    return { status: 416, headers: { ...headers, "content-range": `bytes */${size}`, "content-length": 0 } };
  }
  if (range !== undefined) {
    const partial = { ...headers, "content-range": `bytes ${range.start}-${range.end}/${size}`, "content-length": range.end - range.start + 1 };
    if (method === "HEAD") return { status: 206, headers: partial };
    if (size > MAX_CACHED_BYTES) return { status: 206, headers: partial, body: { path: file.realPath, ...range } };
    const bytes = await catalog.bodies.get(hash, "identity", read);
    // Null: the file changed since it was hashed; the range no longer means the same bytes.
    if (bytes !== null) return { status: 206, headers: partial, body: bytes.subarray(range.start, range.end + 1) };
  }
  if (encoding !== undefined) {
    const compressed = await catalog.bodies.get(hash, encoding, read);
    if (compressed !== null) {
      return { status: 200, headers: { ...headers, "content-encoding": encoding, "content-length": compressed.length }, body: compressed };
    }
    headers.etag = strongTag;
  }
  if (method === "HEAD") return { status: 200, headers: { ...headers, "content-length": size } };
  if (size > MAX_CACHED_BYTES) {
    // Large files stream, bounded to the size the headers announce.
    return { status: 200, headers: { ...headers, "content-length": size }, body: { path: file.realPath, start: 0, end: size - 1 } };
  }
  // Null: the file changed since it was hashed; send what is there now.
  const bytes = (await catalog.bodies.get(hash, "identity", read)) ?? await read();
  return { status: 200, headers: { ...headers, "content-length": bytes.length }, body: bytes };
}

/** Node's header object as [name, value] pairs for a WHATWG Response. */
function headerList(headers: OutgoingHttpHeaders): [string, string][] {
  const list: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) list.push([name, String(one)]);
  }
  return list;
}

/** A flat `[name, value, name, value...]` list as pairs. */
function pairsOf(flat: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
  return pairs;
}

function notFound(name: string, path: string, hint: string | undefined): CorralError {
  return new CorralError(ErrorCode.STATIC_NOT_FOUND,
    `plugin "${name}" has no static file ${JSON.stringify(path)}${hint === undefined ? "" : ` (${hint})`}`);
}

function header(incoming: IncomingMessage, name: string): string | undefined {
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}
