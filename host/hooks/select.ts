/**
 * Which global hooks run for a request: pure rules on the path and the target plugin.
 */
import type { OrderedGlobalHook } from "../plugins/global-hook-order.ts";

/**
 * Host paths no global hook ever runs for: the admin API has its own bearer authentication and
 * must keep working when a hook plugin is broken (to uninstall it), and /health must answer
 * while hooks fail (it reports their failures) and costs nothing to probe.
 */
export const HOOKLESS_PATHS: readonly string[] = Object.freeze(["/admin", "/health"]);

/**
 * Whether `path` is under `prefix`, segment by segment: "/plugins/notes" covers
 * "/plugins/notes" and "/plugins/notes/x" but not "/plugins/notes-admin"; a prefix that ends in
 * "/" ("/plugins/", "/") covers everything that starts with it.
 */
export function underPrefix(path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return prefix.endsWith("/") || path.length === prefix.length || path[prefix.length] === "/";
}

/**
 * The hooks of `ordered` that run for a request to `path` answered by plugin `target` (null: by
 * the host), in the same order: those whose `paths` cover it, except `target`'s own (a plugin's
 * own routes get its local hooks only), and none for {@linkcode HOOKLESS_PATHS}.
 */
export function selectHooks(ordered: readonly OrderedGlobalHook[], path: string, target: string | null): readonly OrderedGlobalHook[] {
  if (ordered.length === 0 || HOOKLESS_PATHS.some((prefix) => underPrefix(path, prefix))) return [];
  return ordered.filter(({ plugin, hook }) => plugin !== target && hook.paths.some((prefix) => underPrefix(path, prefix)));
}
