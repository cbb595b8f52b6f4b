/**
 * Finds a checked relative path on disk under a plugin's static roots, in precedence order, and
 * refuses what resolves (through symlinks) outside its root, to a dotfile or to a non-file.
 */
import { realpathSync, statSync } from "node:fs";
import type { Stats } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";

/** Where a plugin's static files come from, highest precedence first. */
export type StaticRootKind = "override" | "asset" | "plugin";

/** One folder of static files; `dir` is a real path (symlinks resolved). */
export interface StaticRoot {
  readonly kind: StaticRootKind;
  readonly dir: string;
}

/** A file that may be served. */
export interface FoundFile {
  readonly root: StaticRoot;
  readonly realPath: string;
  readonly stats: Stats;
}

export type LookupResult =
  | { readonly kind: "found"; readonly file: FoundFile }
  /** Exists, but must not be served; `reason` is for the log, never for the client. */
  | { readonly kind: "refused"; readonly reason: string }
  | { readonly kind: "missing" };

const MISSING: LookupResult = { kind: "missing" };

/** Errors that mean "not in this root": look in the next one. */
const ABSENT = new Set(["ENOENT", "ENOTDIR", "ENAMETOOLONG", "ELOOP", "EACCES"]);

/**
 * The first root holding `segments` (already checked by resolve-path.ts). A root whose copy is
 * refused (a symlink out, say) ends the search: a lower root never stands in for a refused file.
 *
 * Synchronous on purpose, although it runs on every static request: two syscalls on a hot
 * dentry cache cost microseconds, while each async call is a trip through libuv's thread pool
 * (see decision D13-static). A root without the file costs one stat that throws nothing.
 */
export function findFile(roots: readonly StaticRoot[], segments: readonly string[]): LookupResult {
  for (const root of roots) {
    const candidate = join(root.dir, ...segments);
    let real: string;
    let stats: Stats | undefined;
    try {
      stats = statSync(candidate, { throwIfNoEntry: false });
      if (stats === undefined) continue;
      // realpath(3) in one call; the JS realpathSync lstat()s every component.
      real = realpathSync.native(candidate);
    } catch (error) {
      if (ABSENT.has((error as NodeJS.ErrnoException).code ?? "")) continue;
      throw error;
    }
    const result = check(root, real, stats);
    if (result !== undefined) return result;
  }
  return MISSING;
}

/** The verdict on a resolved path; undefined: not a file here, try the next root. */
function check(root: StaticRoot, real: string, stats: Stats): LookupResult | undefined {
  const rel = relative(root.dir, real);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    return { kind: "refused", reason: `resolves through a symlink to ${real}, outside the ${root.kind} folder ${root.dir}` };
  }
  if (rel.split(sep).some((part) => part.startsWith(".") || part.toLowerCase() === "plugin.json")) {
    return { kind: "refused", reason: `resolves through a symlink to ${real}, a dotfile or the manifest` };
  }
  return stats.isFile() ? { kind: "found", file: { root, realPath: real, stats } } : undefined;
}

/** Is `target` inside `dir` (or `dir` itself)? Both absolute. */
export function isInside(dir: string, target: string): boolean {
  const rel = relative(dir, target);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
