/**
 * The archive under a `.corral` package: a gzip'd POSIX ustar holding regular files only.
 *
 * Hand-rolled (about a hundred lines) rather than node-tar because both directions must be exact:
 * writing sets every header byte (mode 0644, uid/gid 0, mtime 0, no user names, sorted entries, no
 * gzip timestamp), so the same files give the same bytes on any machine; reading must refuse
 * links, devices, absolute paths and `..` before anything touches the disk, and must cap sizes
 * before allocating. Both are simpler to state and to test here than as options of a general tar.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";

const BLOCK = 512;

/** One regular file of an archive: a relative path with `/` separators, and its bytes. */
export interface TarEntry {
  readonly path: string;
  readonly content: Buffer;
}

/** Caps on what reading accepts, checked before the bytes are allocated. */
export interface TarLimits {
  readonly maxFiles: number;
  readonly maxBytes: number;
}

export const DEFAULT_TAR_LIMITS: TarLimits = { maxFiles: 2000, maxBytes: 64 * 1024 * 1024 };

function invalid(message: string): CorralError {
  return new CorralError(ErrorCode.PACKAGE_INVALID, message);
}

/** Refuses a path that could leave the folder it is unpacked into, or that is not plain. */
export function checkEntryPath(path: string): void {
  if (path === "" || path.startsWith("/") || path.includes("\\") || path.includes("\0")) {
    throw invalid(`the package holds a path that is not a plain relative path: ${JSON.stringify(path)}`);
  }
  for (const segment of path.split("/")) {
    if (segment === "" || segment === "." || segment === "..") {
      throw invalid(`the package holds a path with an empty, "." or ".." segment: ${JSON.stringify(path)}`);
    }
  }
}

function writeString(header: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length > length) throw invalid(`tar header field too long: ${JSON.stringify(value)}`);
  bytes.copy(header, offset);
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  writeString(header, offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
}

/** Splits a long path into ustar's prefix (155 bytes) and name (100 bytes) at a slash. */
function splitPath(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= 100) return { prefix: "", name: path };
  for (let i = path.indexOf("/"); i !== -1; i = path.indexOf("/", i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { prefix, name };
  }
  throw invalid(`path too long for a package (at most 100 bytes after the last fitting "/", 255 in all): ${path}`);
}

function header(entry: TarEntry): Buffer {
  const block = Buffer.alloc(BLOCK);
  const { prefix, name } = splitPath(entry.path);
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, entry.content.length);
  writeOctal(block, 136, 12, 0);
  block.write("        ", 148, "latin1");
  block.write("0", 156, "latin1");
  block.write("ustar\0" + "00", 257, "latin1");
  writeString(block, 345, 155, prefix);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return block;
}

/** The gzip'd archive of `entries`, sorted by path; same entries, same bytes. */
export function writeTarGz(entries: readonly TarEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const parts: Buffer[] = [];
  for (const entry of sorted) {
    checkEntryPath(entry.path);
    parts.push(header(entry), entry.content);
    const pad = (BLOCK - (entry.content.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  // Node's gzip header carries no mtime and no name; level 9 fixed so the bytes do not vary.
  return gzipSync(Buffer.concat(parts), { level: 9 });
}

function readString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString("utf8", offset, end === -1 || end > offset + length ? offset + length : end);
}

function readOctal(block: Buffer, offset: number, length: number, what: string): number {
  const text = readString(block, offset, length).trim();
  if (!/^[0-7]+$/.test(text)) throw invalid(`tar header: ${what} is not an octal number`);
  return parseInt(text, 8);
}

/**
 * The regular files of a gzip'd ustar archive, in archive order. Refuses anything else (links,
 * devices, directories with content, a bad checksum, a duplicate or unsafe path) naming it.
 */
export function readTarGz(archive: Buffer, limits: TarLimits = DEFAULT_TAR_LIMITS): TarEntry[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(archive, { maxOutputLength: limits.maxBytes + (limits.maxFiles + 2) * BLOCK * 2 });
  } catch (error) {
    throw invalid(`not a gzip'd package, or larger than ${limits.maxBytes} bytes unpacked: ${(error as Error).message}`);
  }
  const entries: TarEntry[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (let offset = 0; offset + BLOCK <= tar.length;) {
    const block = tar.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) break;
    const stored = readOctal(block, 148, 8, "checksum");
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
    if (sum !== stored) throw invalid(`tar header at byte ${offset}: bad checksum (not a package, or a damaged one)`);
    const prefix = readString(block, 345, 155);
    const name = readString(block, 0, 100);
    const path = prefix === "" ? name : `${prefix}/${name}`;
    const type = String.fromCharCode(block[156]!);
    const size = readOctal(block, 124, 12, `size of ${path}`);
    offset += BLOCK;
    if (type === "5") continue; // a directory entry: folders follow from the file paths
    if (type !== "0" && type !== "\0") {
      throw invalid(`the package holds ${JSON.stringify(path)}, which is not a regular file (tar type ${JSON.stringify(type)}: links and devices are refused)`);
    }
    checkEntryPath(path);
    if (seen.has(path)) throw invalid(`the package holds ${JSON.stringify(path)} twice`);
    seen.add(path);
    total += size;
    if (entries.length + 1 > limits.maxFiles) throw invalid(`the package holds more than ${limits.maxFiles} files`);
    if (total > limits.maxBytes) throw invalid(`the package's files are larger than ${limits.maxBytes} bytes`);
    if (offset + size > tar.length) throw invalid(`the package ends inside ${JSON.stringify(path)} (truncated)`);
    entries.push({ path, content: Buffer.from(tar.subarray(offset, offset + size)) });
    offset += Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}
