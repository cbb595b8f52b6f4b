/**
 * Response compression: which bodies are worth compressing, which encoding the client takes, and
 * the compression itself (node:zlib on libuv's thread pool, off the host's busy main thread).
 */
import { brotliCompress, constants, gzip } from "node:zlib";

/** The encodings the host produces, best first. */
export type Encoding = "br" | "gzip";

// Text formats compress 3-10x; images, fonts in woff(2), archives and media are compressed already.
const COMPRESSIBLE = /^(?:text\/(?!event-stream$)[a-z0-9.+-]+|application\/(?:json|javascript|x-javascript|ecmascript|xml|wasm|vnd\.ms-fontobject|[a-z0-9.-]+\+(?:json|xml))|image\/svg\+xml|font\/(?:ttf|otf))$/i;

/** Whether a response of this Content-Type (parameters aside) is worth compressing. */
export function isCompressible(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(";");
  return COMPRESSIBLE.test(semicolon < 0 ? contentType.trim() : contentType.slice(0, semicolon).trim());
}

/**
 * The encoding to send for this `Accept-Encoding`, or undefined for none. The host prefers
 * brotli, then gzip, among those the client accepts with q > 0 (explicitly or through `*`).
 *
 * @example
 * ```ts
 * preferredEncoding("gzip, deflate, br"); // "br"
 * preferredEncoding("br;q=0, gzip");      // "gzip"
 * preferredEncoding("identity");          // undefined
 * ```
 */
export function preferredEncoding(acceptEncoding: string | undefined): Encoding | undefined {
  if (acceptEncoding === undefined || acceptEncoding === "") return undefined;
  let br: boolean | undefined;
  let gz: boolean | undefined;
  let star: boolean | undefined;
  for (const part of acceptEncoding.split(",")) {
    const [rawName = "", ...params] = part.split(";");
    const name = rawName.trim().toLowerCase();
    let accepted = true;
    for (const param of params) {
      const [key, value] = param.split("=");
      if (key?.trim().toLowerCase() === "q") accepted = Number(value?.trim()) > 0;
    }
    if (name === "br") br = accepted;
    else if (name === "gzip" || name === "x-gzip") gz = accepted;
    else if (name === "*") star = accepted;
  }
  if (br ?? star) return "br";
  if (gz ?? star) return "gzip";
  return undefined;
}

/**
 * `body` compressed with `encoding`: brotli at quality 4 and gzip at level 6, the usual levels
 * for responses made per request (brotli's default, 11, costs ~50x more CPU for a few percent).
 */
export function compress(body: Uint8Array, encoding: Encoding): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, result: Buffer) => (error === null ? resolve(result) : reject(error));
    if (encoding === "br") {
      brotliCompress(body, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: 4,
          [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength,
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        },
      }, done);
    } else {
      gzip(body, { level: 6 }, done);
    }
  });
}
