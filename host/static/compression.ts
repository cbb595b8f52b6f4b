/**
 * gzip and brotli for static files: which encoding a client accepts, which types are worth it,
 * and the bodies (as stored, gzip, brotli) of file versions, kept in a size-bounded LRU.
 */
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import { parseAccept } from "hono/utils/accept";
import { COMPRESSIBLE_CONTENT_TYPE_REGEX } from "hono/utils/compress";
import { hashBytes } from "./content-hash.ts";

export type Encoding = "br" | "gzip";
/** A body as sent: compressed, or the file's bytes as they are. */
export type Variant = Encoding | "identity";

/** Below this, compression saves less than the headers cost (the threshold Hono's compress uses). */
export const MIN_COMPRESS_BYTES = 1024;
/** Above this, a file is neither compressed nor cached: it streams from disk as it is. */
export const MAX_CACHED_BYTES = 4 * 1024 * 1024;
/** Up to this size brotli runs at quality 11 (~85 ms per 100 KB, once per version); above, quality 5. */
const BROTLI_MAX_QUALITY_BYTES = 256 * 1024;

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** Is a response of this content type worth compressing? (text, JS, JSON, SVG, …; not images or fonts in woff2.) */
export function isCompressible(contentType: string): boolean {
  return COMPRESSIBLE_CONTENT_TYPE_REGEX.test(contentType);
}

/**
 * The encoding to answer with for an `Accept-Encoding` header: brotli when accepted at least as
 * much as gzip, then gzip, else none (identity). Pure.
 *
 * @example
 * ```ts
 * negotiateEncoding("gzip, deflate, br"); // "br"
 * negotiateEncoding("gzip;q=1, br;q=0.5"); // "gzip"
 * negotiateEncoding(undefined);            // undefined
 * ```
 */
export function negotiateEncoding(acceptEncoding: string | undefined): Encoding | undefined {
  if (acceptEncoding === undefined || acceptEncoding === "") return undefined;
  let star: number | undefined;
  const q: Partial<Record<Encoding, number>> = {};
  for (const entry of parseAccept(acceptEncoding)) {
    const name = entry.type.toLowerCase();
    if (name === "br") q.br = entry.q;
    else if (name === "gzip" || name === "x-gzip") q.gzip = Math.max(q.gzip ?? 0, entry.q);
    else if (name === "*") star = entry.q;
  }
  const br = q.br ?? star ?? 0;
  const gz = q.gzip ?? star ?? 0;
  if (br > 0 && br >= gz) return "br";
  return gz > 0 ? "gzip" : undefined;
}

/**
 * Bodies of file versions, keyed by content hash and variant, bounded by the sum of their sizes
 * (least recently used go first). A hit costs no syscall; concurrent requests for one variant
 * share one read and one compression.
 */
export class BodyCache {
  readonly #maxBytes: number;
  /** null: compressing did not make it smaller; send the file as it is. */
  readonly #entries = new Map<string, Buffer | null>();
  readonly #pending = new Map<string, Promise<Buffer | null>>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes held now. */
  get size(): number {
    return this.#bytes;
  }

  /**
   * The `variant` body of the version whose SHA-256 is `hash`; `read` gives the file's bytes on a
   * miss. Null when a compressed variant would not be smaller, or when what `read` gave does not
   * hash to `hash` (the file changed meanwhile: nothing is cached under the wrong key).
   */
  async get(hash: string, variant: Variant, read: () => Promise<Buffer>): Promise<Buffer | null> {
    const key = `${hash}:${variant}`;
    const cached = this.#entries.get(key);
    if (cached !== undefined) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.#entries.delete(key);
      this.#entries.set(key, cached);
      return cached;
    }
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = this.#make(key, hash, variant, read).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  async #make(key: string, hash: string, variant: Variant, read: () => Promise<Buffer>): Promise<Buffer | null> {
    const bytes = await read();
    if (hashBytes(bytes) !== hash) return null;
    if (variant === "identity") {
      this.#store(key, bytes);
      return bytes;
    }
    const compressed = variant === "br"
      ? await brotliAsync(bytes, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: bytes.length <= BROTLI_MAX_QUALITY_BYTES ? 11 : 5,
          [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
        },
      })
      : await gzipAsync(bytes, { level: 9 });
    const body = compressed.length < bytes.length ? compressed : null;
    this.#store(key, body);
    return body;
  }

  #store(key: string, body: Buffer | null): void {
    // A "not smaller" marker costs a little, so markers for many versions cannot pile up unbounded.
    const cost = body?.length ?? 64;
    // One body may not take more than a quarter of the cache.
    if (cost > this.#maxBytes / 4) return;
    this.#entries.set(key, body);
    this.#bytes += cost;
    for (const [oldKey, old] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldKey);
      this.#bytes -= old?.length ?? 64;
    }
  }
}
