/**
 * The order in which plugins' global request hooks run: dependencies first, then higher
 * `priority`, then name; `afterRequest` and `teardownRequest` unwind in the reverse order (the
 * onion). Pure: manifests in, order out.
 */
import type { GlobalHookKind } from "../../schemas/global-hooks.ts";
import type { ManifestGlobalHook, ManifestGlobalHooks } from "../manifest/manifest.ts";

/** What the order reads of a manifest; a whole `Manifest` fits. */
export interface HookManifest {
  readonly name: string;
  /** Plugin names (with ranges): only the names matter here. */
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
 * For `beforeRequest`: a plugin's hook comes after the hooks of the plugins it depends on
 * (directly, or through plugins that declare no such hook), so an `audit` plugin that depends on
 * `auth` sees the user `auth` attached. Among the hooks free to go next, the higher `priority`
 * first, then the name (code-unit order). `afterRequest` and `teardownRequest` run in exactly the
 * reverse of that order, as middleware unwinds: the hook that saw the request first sees the
 * response last. Each kind is ordered by its own `priority`.
 *
 * Dependencies on plugins not in `manifests` are ignored. A dependency cycle (which the loader
 * refuses anyway) is broken by taking the best-ranked remaining plugin, so this never throws.
 *
 * @example
 * ```ts
 * const before = orderGlobalHooks(manifests, "beforeRequest");
 * for (const { plugin, hook } of before) console.log(plugin, hook.priority, hook.paths);
 * ```
 */
export function orderGlobalHooks(manifests: readonly HookManifest[], kind: GlobalHookKind): readonly OrderedGlobalHook[] {
  const byName = new Map(manifests.map((manifest) => [manifest.name, manifest]));
  const hooked = manifests.filter((manifest) => manifest.globalHooks?.[kind] !== undefined);
  const needs = new Map(hooked.map((manifest) => [manifest.name, hookedDependencies(manifest, byName, kind)]));
  const placed = new Set<string>();
  const order: OrderedGlobalHook[] = [];
  let remaining = [...hooked].sort(rank(kind));
  while (remaining.length > 0) {
    const next = remaining.find((manifest) => [...needs.get(manifest.name)!].every((name) => placed.has(name))) ?? remaining[0]!;
    placed.add(next.name);
    order.push(Object.freeze({ plugin: next.name, hook: next.globalHooks![kind]! }));
    remaining = remaining.filter((manifest) => manifest !== next);
  }
  return Object.freeze(kind === "beforeRequest" ? order : order.reverse());
}

/** Higher priority first, then name. */
function rank(kind: GlobalHookKind): (a: HookManifest, b: HookManifest) => number {
  return (a, b) =>
    b.globalHooks![kind]!.priority - a.globalHooks![kind]!.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** The plugins with a `kind` hook that `manifest` depends on, directly or through plugins without one. */
function hookedDependencies(manifest: HookManifest, byName: ReadonlyMap<string, HookManifest>, kind: GlobalHookKind): Set<string> {
  const found = new Set<string>();
  const seen = new Set<string>([manifest.name]);
  const stack = Object.keys(manifest.dependencies);
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const dependency = byName.get(name);
    if (dependency === undefined) continue;
    if (dependency.globalHooks?.[kind] !== undefined) found.add(name);
    stack.push(...Object.keys(dependency.dependencies));
  }
  return found;
}
