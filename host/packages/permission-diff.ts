/**
 * What a new version asks for that the installed one does not: the permission review of an
 * update. Only additions count as an escalation; removals are listed for the reader.
 *
 * Three kinds of change are escalations: a grant the old version lacked (net, read, env, the
 * database, the cache, a host service, identity, global hooks, …), a route-role rule dropped or
 * opened to more roles (more users reach the plugin's routes), and a raised resource limit.
 */
import type { Manifest, ManifestAccessRule, ManifestLimits } from "../manifest/manifest.ts";

export interface PermissionChange {
  /** e.g. "permissions.net", "database", "globalHooks.beforeRequest", "access", "limits.memoryMb". */
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
  for (const service of manifest.host ?? []) out.push({ grant: "host", value: service });
  if (manifest.providesIdentity !== undefined) out.push({ grant: "providesIdentity", value: "true" });
  for (const kind of Object.keys(manifest.globalHooks)) out.push({ grant: `globalHooks.${kind}`, value: "true" });
  for (const name of Object.keys(manifest.dependencies)) out.push({ grant: "dependencies", value: name });
  for (const name of manifest.contributes) out.push({ grant: "contributes", value: name });
  for (const name of Object.keys(manifest.commands)) out.push({ grant: "commands", value: name });
  return out;
}

const describeRule = (rule: ManifestAccessRule) => `${rule.path} roles=${rule.roles.join(",")}`;

/**
 * Route rules restrict, so the escalation runs the other way: a rule the new version drops, or
 * one that admits a role the old rule did not, lets more users in.
 */
function accessChanges(installed: Manifest, next: Manifest): PermissionDiff {
  const nextRules = new Map((next.access ?? []).map((rule) => [rule.path, rule]));
  const oldRules = new Map((installed.access ?? []).map((rule) => [rule.path, rule]));
  const added: PermissionChange[] = [];
  const removed: PermissionChange[] = [];
  for (const [path, old] of oldRules) {
    const now = nextRules.get(path);
    if (now === undefined) added.push({ grant: "access", value: `${describeRule(old)} dropped: open to everyone` });
    else if (now.roles.some((role) => !old.roles.includes(role))) added.push({ grant: "access", value: `${path} roles=${old.roles.join(",")} -> ${now.roles.join(",")}` });
    else if (old.roles.some((role) => !now.roles.includes(role))) removed.push({ grant: "access", value: `${path} roles=${old.roles.join(",")} -> ${now.roles.join(",")}` });
  }
  for (const [path, rule] of nextRules) {
    if (!oldRules.has(path)) removed.push({ grant: "access", value: `${describeRule(rule)} new rule: fewer users` });
  }
  return { added, removed };
}

const LIMITS = ["memoryMb", "timeoutMs", "maxBodyBytes", "dbConnections", "maxConcurrent", "maxQueue", "cpuPercent"] as const satisfies readonly (keyof ManifestLimits)[];

/** A limit the new version raises (or lifts, by leaving it out for the host's default) is more of the machine. */
function limitChanges(installed: Manifest, next: Manifest): PermissionDiff {
  const added: PermissionChange[] = [];
  const removed: PermissionChange[] = [];
  const shown = (value: number | undefined) => value === undefined ? "host default" : String(value);
  for (const limit of LIMITS) {
    const before = installed.limits[limit];
    const after = next.limits[limit];
    if (before === after) continue;
    const change = { grant: `limits.${limit}`, value: `${shown(before)} -> ${shown(after)}` };
    // Leaving a limit out means the host policy's default, which may be higher than the old
    // value: an escalation to review. Setting one where there was none is listed, not flagged
    // (the policy's ceiling applies either way).
    if (after === undefined || (before !== undefined && after > before)) added.push(change);
    else removed.push(change);
  }
  if (next.instances.max > installed.instances.max) added.push({ grant: "instances.max", value: `${installed.instances.max} -> ${next.instances.max}` });
  return { added, removed };
}

export function diffPermissions(installed: Manifest, next: Manifest): PermissionDiff {
  const key = (c: PermissionChange) => `${c.grant}\0${c.value}`;
  const before = grantsOf(installed);
  const after = grantsOf(next);
  const had = new Set(before.map(key));
  const has = new Set(after.map(key));
  const access = accessChanges(installed, next);
  const limits = limitChanges(installed, next);
  return {
    added: [...after.filter((c) => !had.has(key(c))), ...access.added, ...limits.added],
    removed: [...before.filter((c) => !has.has(key(c))), ...access.removed, ...limits.removed],
  };
}

/** One line per change: `+ permissions.net api.example.com:443`. */
export function describeDiff(diff: PermissionDiff): string {
  return [...diff.added.map((c) => `+ ${c.grant} ${c.value}`), ...diff.removed.map((c) => `- ${c.grant} ${c.value}`)].join("\n");
}
