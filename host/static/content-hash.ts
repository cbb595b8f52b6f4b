/**
 * SHA-256 of static files, remembered per file version (inode, size, mtime): a file is read
 * again only after it changed, and every caller sees the hash of what is on disk now.
 */
import { createHash } from "node:crypto";
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import type { Stats } from "node:fs";

/** What identifies one version of a file without reading it. */
function signature(stats: Stats): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

/** Entries kept; past it the oldest goes (a host serves far fewer distinct files). */
const MAX_ENTRIES = 20_000;

export class ContentHashes {
  readonly #known = new Map<string, { readonly signature: string; readonly hash: string }>();

  /** The hex SHA-256 of `realPath`, whose current `stats` the caller just took. */
  async of(realPath: string, stats: Stats): Promise<string> {
    const known = this.#lookup(realPath, stats);
    if (known !== undefined) return known;
    const hash = createHash("sha256");
    // Streamed: a large video must not be held in memory to be hashed.
    for await (const chunk of createReadStream(realPath)) hash.update(chunk as Buffer);
    return this.#remember(realPath, stats, hash.digest("hex"));
  }

  /** As {@linkcode of}, synchronously (for `urlFor`), reading 1 MiB at a time. */
  ofSync(realPath: string, stats: Stats): string {
    const known = this.#lookup(realPath, stats);
    if (known !== undefined) return known;
    const hash = createHash("sha256");
    const chunk = Buffer.allocUnsafe(Math.min(Math.max(stats.size, 1), 1024 * 1024));
    const fd = openSync(realPath, "r");
    try {
      for (let read = readSync(fd, chunk); read > 0; read = readSync(fd, chunk)) hash.update(chunk.subarray(0, read));
    } finally {
      closeSync(fd);
    }
    return this.#remember(realPath, stats, hash.digest("hex"));
  }

  /** Forgets every file under `prefix` (a plugin's roots, when it is removed). */
  forget(prefix: string): void {
    for (const path of this.#known.keys()) if (path.startsWith(prefix)) this.#known.delete(path);
  }

  #lookup(realPath: string, stats: Stats): string | undefined {
    const known = this.#known.get(realPath);
    return known !== undefined && known.signature === signature(stats) ? known.hash : undefined;
  }

  #remember(realPath: string, stats: Stats, hash: string): string {
    this.#known.delete(realPath);
    if (this.#known.size >= MAX_ENTRIES) this.#known.delete(this.#known.keys().next().value!);
    this.#known.set(realPath, { signature: signature(stats), hash });
    return hash;
  }
}

/** The hex SHA-256 of `bytes`. */
export function hashBytes(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
