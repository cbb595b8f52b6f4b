/**
 * What a new version asks for that the installed one does not: the permission review of an
 * update. Only additions count as an escalation; removals are listed for the reader.
 */
import type { Manifest } from "../manifest/manifest.ts";

export interface PermissionChange {
  /** e.g. "permissions.net", "database", "globalHooks.beforeRequest". */
  readonly grant: string;
  readonly value: string;
}

export interface PermissionDiff {
  readonly added: readonly PermissionChange[];
  readonly removed: readonly PermissionChange[];
}

/** Each grant of a manifest as `grant=value` pairs. */
function grantsOf(manifest: Manifest): PermissionChange[] {
  const out: PermissionChange[] = [];
  for (const kind of ["net", "read", "env"] as const) {
    for (const value of manifest.permissions[kind]) out.push({ grant: `permissions.${kind}`, value });
  }
  if (manifest.database) out.push({ grant: "database", value: "true" });
  if (manifest.cache !== undefined) out.push({ grant: "cache", value: "true" });
  for (const kind of Object.keys(manifest.globalHooks)) out.push({ grant: `globalHooks.${kind}`, value: "true" });
  for (const name of Object.keys(manifest.dependencies)) out.push({ grant: "dependencies", value: name });
  for (const name of manifest.contributes) out.push({ grant: "contributes", value: name });
  return out;
}

export function diffPermissions(installed: Manifest, next: Manifest): PermissionDiff {
  const key = (c: PermissionChange) => `${c.grant}\0${c.value}`;
  const before = grantsOf(installed);
  const after = grantsOf(next);
  const had = new Set(before.map(key));
  const has = new Set(after.map(key));
  return { added: after.filter((c) => !had.has(key(c))), removed: before.filter((c) => !has.has(key(c))) };
}

/** One line per change: `+ permissions.net api.example.com:443`. */
export function describeDiff(diff: PermissionDiff): string {
  return [...diff.added.map((c) => `+ ${c.grant} ${c.value}`), ...diff.removed.map((c) => `- ${c.grant} ${c.value}`)].join("\n");
}
