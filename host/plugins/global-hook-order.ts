/**
 * The order in which plugins' global request hooks run: dependencies first, then higher
 * `priority`, then name; `afterRequest` and `teardownRequest` unwind in the reverse order
 * (the onion model). Pure: manifests in, order out.
 */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { GLOBAL_HOOK_KINDS, type GlobalHookKind } from "../../schemas/global-hooks.ts";
import type { ManifestGlobalHook, ManifestGlobalHooks } from "../manifest/manifest.ts";
import { byName, cyclesOf, formatChain, pathBetween, topologicalOrder } from "./dependency-graph.ts";

// The kinds are the protocol's (schemas/global-hooks.ts); re-exported for the resolver's callers.
export { GLOBAL_HOOK_KINDS, type GlobalHookKind };

/** What the order reads of a manifest; a whole `Manifest` fits. */
export interface HookManifest {
  readonly name: string;
  /** Plugin names (and ranges): only the names matter here. */
  readonly dependencies: Readonly<Record<string, string>>;
  readonly globalHooks?: ManifestGlobalHooks;
}

/** One plugin's global hook, in running order. */
export interface OrderedGlobalHook {
  readonly plugin: string;
  readonly hook: ManifestGlobalHook;
}

/**
 * The plugins that declare the global hook `kind`, in the order their hooks run.
 *
 * The "outer" order, used as is for `beforeRequest`: a plugin's hook comes after the hooks of
 * the plugins it depends on (directly or through plugins that declare no such hook); among
 * hooks free to go next, the higher `priority` first, then the name in code-unit order.
 * `afterRequest` and `teardownRequest` run in exactly the reverse order, as middleware unwinds:
 * the plugin whose `beforeRequest` ran first (e.g. `auth`, which others depend on) sees the
 * response last. Each kind is ordered by its own `priority`.
 *
 * Pass the plugins that are loaded (the resolver's `order`): dependencies on plugins outside
 * `manifests` are ignored.
 *
 * @throws TypeError when two manifests share a name.
 * @throws CorralError DEPENDENCY_CYCLE when the manifests depend on each other in a cycle
 *   (the resolver refuses those, so loaded plugins never have one).
 *
 * @example
 * ```ts
 * const hooks = orderGlobalHooks(loaded.map((l) => l.manifest), "beforeRequest");
 * for (const { plugin, hook } of hooks) console.log(plugin, hook.priority, hook.paths);
 * ```
 */
export function orderGlobalHooks(manifests: readonly HookManifest[], kind: GlobalHookKind): readonly OrderedGlobalHook[] {
  const outer = outerOrder(manifests, kind);
  const hooks = outer.names.map((plugin) => Object.freeze({ plugin, hook: outer.hookOf(plugin) }));
  return Object.freeze(kind === "beforeRequest" ? hooks : hooks.reverse());
}

/**
 * Where dependency order overrules a priority between two plugins that do not depend on each
 * other, one message per overruled plugin: plugin B has a higher priority than A, yet is ranked
 * below it because B needs a plugin C (with its own hook) that ranks below A. No order can honour every priority
 * then; the rule stays "dependencies first, then priority", and the message says what to change.
 * (A plugin that depends on one with a lower priority is no conflict: priority only ranks plugins
 * with no dependency between them.)
 *
 * @example
 * ```ts
 * for (const warning of globalHookOrderConflicts(manifests)) log.warn(warning);
 * ```
 */
export function globalHookOrderConflicts(manifests: readonly HookManifest[]): readonly string[] {
  const warnings: string[] = [];
  for (const kind of GLOBAL_HOOK_KINDS) {
    const { names, hookOf, reaches, edgesOf } = outerOrder(manifests, kind);
    const rank = new Map(names.map((name, index) => [name, index]));
    // One warning per plugin whose priority was not honoured, naming the first plugin it yields to.
    for (const [position, later] of names.entries()) {
      const outranked = names.slice(0, position).filter((n) =>
        hookOf(later).priority > hookOf(n).priority && !reaches(later, n) && !reaches(n, later));
      const first = outranked[0];
      if (first === undefined) continue;
      // `later` was not free to go when `first` was taken: some of its dependencies were left.
      const waits = names.filter((n) => reaches(later, n) && rank.get(n)! > rank.get(first)!);
      const needs = waits.map((n) => `"${n}" (priority ${hookOf(n).priority}, ${formatChain(pathBetween(later, n, edgesOf)!)})`);
      const others = outranked.length > 1 ? ` and ${outranked.length - 1} other plugin${outranked.length > 2 ? "s" : ""} of lower priority` : "";
      warnings.push(`global ${kind} hooks: "${later}" (priority ${hookOf(later).priority}) is ranked below "${first}" ` +
        `(priority ${hookOf(first).priority})${others} although no dependency links them: "${later}" needs ${needs.join(" and ")}, ` +
        `ranked below "${first}"; give ${waits.map((n) => `"${n}"`).join(" and ")} a priority of at least ` +
        `${hookOf(later).priority}, or lower "${later}"'s priority`);
    }
  }
  return Object.freeze(warnings);
}

/** The `beforeRequest`-direction order of one kind, with the lookups the callers need. */
function outerOrder(manifests: readonly HookManifest[], kind: GlobalHookKind) {
  const byPlugin = new Map<string, HookManifest>();
  for (const manifest of manifests) {
    if (byPlugin.has(manifest.name)) throw new TypeError(`two manifests are named "${manifest.name}"; pass each loaded plugin once`);
    byPlugin.set(manifest.name, manifest);
  }
  const edgesOf = (name: string) => Object.keys(byPlugin.get(name)?.dependencies ?? {}).filter((n) => byPlugin.has(n));
  const cycle = [...cyclesOf([...byPlugin.keys()], edgesOf).values()][0];
  if (cycle !== undefined) {
    throw new CorralError(ErrorCode.DEPENDENCY_CYCLE,
      `cannot order the global ${kind} hooks: plugins depend on each other in a cycle (${formatChain(cycle)}); ` +
        "pass the plugins the resolver loaded, which never hold a cycle");
  }
  const reachable = new Map<string, ReadonlySet<string>>();
  const reachableFrom = (name: string): ReadonlySet<string> => {
    let found = reachable.get(name);
    if (found === undefined) {
      const set = new Set<string>();
      for (const dependency of edgesOf(name)) {
        set.add(dependency);
        for (const further of reachableFrom(dependency)) set.add(further);
      }
      reachable.set(name, (found = set));
    }
    return found;
  };
  const hookOf = (name: string): ManifestGlobalHook => byPlugin.get(name)!.globalHooks![kind]!;
  const hooked = [...byPlugin.values()].filter((m) => m.globalHooks?.[kind] !== undefined).map((m) => m.name);
  const reaches = (from: string, to: string) => reachableFrom(from).has(to);
  // Only hooked plugins take part, but an unhooked plugin between two hooked ones still orders them.
  const hookedNeeds = (name: string) => hooked.filter((other) => reaches(name, other));
  const names = topologicalOrder(hooked, hookedNeeds, (a, b) => hookOf(b).priority - hookOf(a).priority || byName(a, b)).order;
  return { names, hookOf, reaches, edgesOf };
}
