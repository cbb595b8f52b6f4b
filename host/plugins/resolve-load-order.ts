/**
 * Decides which discovered plugins load and in what order: name conflicts, `hostApi`,
 * dependencies (missing, out of range, cycles), and the plugins held back because one they need
 * cannot load. Pure: manifests and the host's version in, a frozen answer out.
 */
import semver from "semver";
import { ErrorCode } from "../../schemas/errors.ts";
import type { ErrorCodeValue } from "../../schemas/errors.ts";
import type { Manifest } from "../manifest/manifest.ts";
import { byName, cyclesOf, formatChain, topologicalOrder } from "./dependency-graph.ts";
import { globalHookOrderConflicts } from "./global-hook-order.ts";

/** What the resolver reads of a discovered plugin; a `LoadedManifest` fits. */
export interface PluginCandidate {
  readonly manifest: Pick<Manifest, "name" | "version" | "hostApi" | "dependencies"> & Partial<Pick<Manifest, "globalHooks">>;
  /** The plugin folder. Of two folders with one plugin name, the one whose path sorts first wins. */
  readonly dir: string;
  /** Its plugin.json, as messages name it. */
  readonly file: string;
}

/** A plugin refused for a problem of its own (listed under `invalid` in /health). */
export interface RefusedPlugin {
  readonly name: string;
  readonly dir: string;
  /** The first problem's code. */
  readonly code: ErrorCodeValue;
  /** Every problem, one line each: the file, the field, what is wrong, what to do. */
  readonly message: string;
  /** The first problem in a few words, without the file: quoted by the plugins it blocks. */
  readonly reason: string;
  /** The first problem's chain: the plugin and the dependency at fault, or the whole cycle. */
  readonly chain: readonly string[];
}

/** A plugin held back because a plugin it needs, directly or through others, cannot run. */
export interface BlockedPlugin {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
  readonly code: typeof ErrorCode.DEPENDENCY_BLOCKED;
  /** The plugin that was refused or failed. */
  readonly blockedBy: string;
  /** From this plugin to the fault: `["c", "b", "a"]` when c needs b, which needs an `a` it cannot have. */
  readonly chain: readonly string[];
  /** Why `blockedBy` cannot run: its refusal's reason, or why it failed. */
  readonly cause: string;
  readonly message: string;
}

/** The resolver's answer. Every candidate is in exactly one of `order`, `refused` and `blocked`. */
export interface Resolution<T extends PluginCandidate> {
  /** The plugins to load, each after every plugin it depends on; ties in name order. */
  readonly order: readonly T[];
  /** In name order, then folder. */
  readonly refused: readonly RefusedPlugin[];
  /** In name order. */
  readonly blocked: readonly BlockedPlugin[];
  /** Global hook priorities the dependency order overrules (see `globalHookOrderConflicts`). */
  readonly warnings: readonly string[];
}

/**
 * Resolves the load order of the discovered plugins against the host's version.
 *
 * Rules, applied in this order:
 * 1. Two folders declaring one name (they would share the mount `/plugins/<name>/`): the folder
 *    whose path sorts first (code-unit order) wins; the other is refused, PLUGIN_CONFLICT.
 * 2. Each plugin's own problems, all reported: `hostApi` excluding `hostVersion` (HOST_API), a
 *    dependency that is not installed (DEPENDENCY_MISSING) or whose version is outside the range
 *    (DEPENDENCY_VERSION), membership of a dependency cycle (DEPENDENCY_CYCLE, every plugin on
 *    the cycle). Ranges match pre-releases by their place in semver order (`includePrerelease`):
 *    `^1.2.0` accepts `1.5.0-rc.1`, and `^2.0.0` refuses `2.0.0-beta.1`, which precedes `2.0.0`.
 * 3. A plugin that needs a refused plugin, directly or through others, is blocked by it
 *    (DEPENDENCY_BLOCKED); the first such dependency in name order is named, with the chain.
 * 4. The rest load in dependency order, ties broken by name: the same set of plugins gives the
 *    same answer whatever the order of `candidates`.
 *
 * @example
 * ```ts
 * const { order, refused, blocked } = resolveLoadOrder(discovery.found, HOST_VERSION);
 * ```
 */
export function resolveLoadOrder<T extends PluginCandidate>(candidates: readonly T[], hostVersion: string): Resolution<T> {
  const refused: RefusedPlugin[] = [];
  const plugins = new Map<string, T>();
  for (const candidate of [...candidates].sort((a, b) => byName(a.dir, b.dir) || byName(a.file, b.file))) {
    const { name } = candidate.manifest;
    const winner = plugins.get(name);
    if (winner === undefined) {
      plugins.set(name, candidate);
      continue;
    }
    const reason = `plugin name "${name}" is declared by two folders, ${winner.dir} and ${candidate.dir}`;
    refused.push(Object.freeze({ name, dir: candidate.dir, code: ErrorCode.PLUGIN_CONFLICT, reason, chain: Object.freeze([name]),
      message: `${candidate.file}: /name: ${reason}; the folder whose path sorts first (${winner.dir}) is loaded and this one ` +
        `is not (each plugin is mounted at /plugins/<name>/, so names must be unique); rename or remove one of them` }));
  }

  const names = [...plugins.keys()].sort(byName);
  const needs = (name: string) => Object.keys(plugins.get(name)?.manifest.dependencies ?? {}).sort(byName);
  const cycles = cyclesOf(names, (name) => needs(name).filter((n) => plugins.has(n)));
  const faults = new Map<string, RefusedPlugin>();
  for (const name of names) {
    const problems = problemsOf(plugins.get(name)!, plugins, hostVersion, cycles.get(name));
    if (problems.length === 0) continue;
    const { dir, file } = plugins.get(name)!;
    const fault = Object.freeze({ name, dir, code: problems[0]!.code, reason: problems[0]!.reason, chain: Object.freeze([...problems[0]!.chain]),
      message: problems.map((p) => `${file}: ${p.field}: ${p.reason}; ${p.remedy}`).join("\n") });
    faults.set(name, fault);
    refused.push(fault);
  }

  // Refused plugins include every cycle, so what is left is acyclic and the recursion ends.
  const blocks = new Map<string, BlockedPlugin | null>();
  const blockOf = (name: string): BlockedPlugin | null => {
    if (!blocks.has(name)) {
      let found: BlockedPlugin | null = null;
      for (const dependency of needs(name)) {
        const fault = faults.get(dependency);
        const behind = fault === undefined ? blockOf(dependency) : null;
        if (fault !== undefined) found = blockedPlugin(plugins.get(name)!, fault.name, [name, ...fault.chain], fault.reason);
        else if (behind !== null) found = blockedPlugin(plugins.get(name)!, behind.blockedBy, [name, ...behind.chain], behind.cause);
        if (found !== null) break;
      }
      blocks.set(name, found);
    }
    return blocks.get(name)!;
  };
  const blocked = names.filter((n) => !faults.has(n)).map(blockOf).filter((b): b is BlockedPlugin => b !== null);

  const loadable = names.filter((n) => !faults.has(n) && blockOf(n) === null);
  const order = topologicalOrder(loadable, needs, byName).order.map((n) => plugins.get(n)!);
  return Object.freeze({
    order: Object.freeze(order),
    refused: Object.freeze(refused.sort((a, b) => byName(a.name, b.name) || byName(a.dir, b.dir))),
    blocked: Object.freeze(blocked),
    warnings: globalHookOrderConflicts(order.map((p) => p.manifest)),
  });
}

/**
 * The message of a plugin held back by `blockedBy`, at the end of `chain`, which cannot run
 * because of `cause` (a refusal's reason, or why it failed).
 */
export function blockedMessage(name: string, blockedBy: string, chain: readonly string[], cause: string): string {
  return `plugin "${name}" is blocked by "${blockedBy}" (${formatChain(chain)}): ${cause}; fix "${blockedBy}", then restart the host`;
}

/** A BlockedPlugin for `plugin`; `chain` starts at it and runs to the fault. */
export function blockedPlugin(plugin: PluginCandidate, blockedBy: string, chain: readonly string[], cause: string): BlockedPlugin {
  const { name, version } = plugin.manifest;
  return Object.freeze({ name, version, dir: plugin.dir, code: ErrorCode.DEPENDENCY_BLOCKED, blockedBy,
    chain: Object.freeze([...chain]), cause, message: blockedMessage(name, blockedBy, chain, cause) });
}

interface Problem {
  readonly code: ErrorCodeValue;
  /** The JSON Pointer of the field at fault. */
  readonly field: string;
  readonly reason: string;
  readonly remedy: string;
  readonly chain: readonly string[];
}

function problemsOf(plugin: PluginCandidate, plugins: ReadonlyMap<string, PluginCandidate>, hostVersion: string,
  cycle: readonly string[] | undefined): Problem[] {
  const { name, hostApi, dependencies } = plugin.manifest;
  const problems: Problem[] = [];
  if (!semver.satisfies(hostVersion, hostApi, { includePrerelease: true })) {
    problems.push({ code: ErrorCode.HOST_API, field: "/hostApi", chain: [name],
      reason: `plugin "${name}" needs a host matching ${JSON.stringify(hostApi)}, but this host is ${hostVersion}`,
      remedy: "install a version of the plugin made for this host" });
  }
  for (const dependency of Object.keys(dependencies).sort(byName)) {
    const range = dependencies[dependency]!;
    const installed = plugins.get(dependency);
    const field = `/dependencies/${dependency}`;
    if (installed === undefined) {
      problems.push({ code: ErrorCode.DEPENDENCY_MISSING, field, chain: [name, dependency],
        reason: `plugin "${name}" needs "${dependency}" ${range}, but no plugin named "${dependency}" is installed`,
        remedy: `install "${dependency}", or remove it from the dependencies` });
      continue;
    }
    const { version } = installed.manifest;
    if (!semver.satisfies(version, range, { includePrerelease: true })) {
      problems.push({ code: ErrorCode.DEPENDENCY_VERSION, field, chain: [name, dependency],
        reason: `plugin "${name}" needs "${dependency}" ${range}, but "${dependency}" is ${version}, which is outside ${range}${prereleaseNote(version, range)}`,
        remedy: `install a version of "${dependency}" within ${range}, or change the range` });
    }
  }
  if (cycle !== undefined) {
    problems.push({ code: ErrorCode.DEPENDENCY_CYCLE, field: `/dependencies/${cycle[1]}`, chain: cycle,
      reason: `plugin "${name}" is in a dependency cycle: ${formatChain(cycle)}`,
      remedy: "remove one of these dependencies (plugins on a cycle cannot start one after the other)" });
  }
  return problems;
}

/** Explains the one surprise of pre-release ordering: 2.0.0-beta.1 comes before 2.0.0. */
function prereleaseNote(version: string, range: string): string {
  const release = semver.valid(version) === null ? null : `${semver.major(version)}.${semver.minor(version)}.${semver.patch(version)}`;
  if (semver.prerelease(version) === null || release === null || !semver.satisfies(release, range)) return "";
  return ` (a pre-release comes before its release: ${version} < ${release})`;
}
