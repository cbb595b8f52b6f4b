/**
 * An installed version as files: read from a folder on install (bounded), stored in the host
 * database, and written into `<dataDir>/versions/<name>/<version>/` by any host that runs it.
 */
import { createHash } from "node:crypto";
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";

export interface VersionFile {
  /** Relative to the version's folder, with "/" separators. */
  readonly path: string;
  readonly sha256: string;
  readonly content: Buffer;
}

/** Ceilings on one installed version: it travels through Postgres as bytea rows. */
export interface InstallLimits {
  readonly maxBytes: number;
  readonly maxFiles: number;
}

export const DEFAULT_INSTALL_LIMITS: InstallLimits = { maxBytes: 16 * 1024 * 1024, maxFiles: 2000 };

/** Skipped on install: never part of a plugin's code. */
const SKIPPED = new Set(["node_modules", ".git"]);

/**
 * Reads every regular file under `dir` (symlinks are refused: an installed copy must not point
 * outside itself).
 *
 * @throws {CorralError} INSTALL_TOO_LARGE over the limits; OPERATION_INVALID for a symlink.
 */
export async function readVersionFiles(dir: string, limits: InstallLimits = DEFAULT_INSTALL_LIMITS): Promise<VersionFile[]> {
  const files: VersionFile[] = [];
  let bytes = 0;
  const walk = async (folder: string): Promise<void> => {
    for (const entry of (await readdir(folder, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (SKIPPED.has(entry.name)) continue;
      const path = join(folder, entry.name);
      if (entry.isSymbolicLink()) {
        throw new CorralError(ErrorCode.OPERATION_INVALID, `cannot install ${dir}: ${relative(dir, path)} is a symbolic link; copy the file it points to instead`);
      }
      if (entry.isDirectory()) {
        await walk(path);
        continue;
      }
      if (!entry.isFile()) continue;
      const size = (await lstat(path)).size;
      bytes += size;
      if (files.length + 1 > limits.maxFiles || bytes > limits.maxBytes) {
        throw new CorralError(ErrorCode.INSTALL_TOO_LARGE,
          `cannot install ${dir}: more than ${limits.maxFiles} files or ${limits.maxBytes} bytes (the host stores installed versions in its database); ` +
          "leave generated files and dependencies out of the plugin folder");
      }
      const content = await readFile(path);
      files.push({ path: relative(dir, path).split(sep).join("/"), sha256: sha256(content), content });
    }
  };
  await walk(dir);
  return files;
}

/**
 * Writes `files` into `target` (replacing what is there), checking each file's hash, through a
 * temporary folder renamed into place so a half-written version is never run.
 *
 * @throws {CorralError} OPERATION_INVALID when a path would leave the folder or a hash does not match.
 */
export async function writeVersionFiles(target: string, files: readonly VersionFile[]): Promise<void> {
  const staging = `${target}.partial-${process.pid}-${Date.now()}`;
  await rm(staging, { recursive: true, force: true });
  try {
    for (const file of files) {
      const path = join(staging, file.path);
      if (file.path.startsWith("/") || relative(staging, path).startsWith("..")) {
        throw new CorralError(ErrorCode.OPERATION_INVALID, `refusing stored file "${file.path}": it leaves the version's folder`);
      }
      if (sha256(file.content) !== file.sha256) {
        throw new CorralError(ErrorCode.OPERATION_INVALID, `stored file "${file.path}" does not match its sha256; install the version again`);
      }
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.content);
    }
    await mkdir(dirname(target), { recursive: true });
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

export function sha256(content: Uint8Array): string {
  return createHash("sha256").update(content).digest("hex");
}
