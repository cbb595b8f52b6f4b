/**
 * Starts the resolved plugins in dependency order: each as soon as every plugin it needs is
 * ready, unrelated ones side by side. A plugin whose dependency failed, or was refused while the
 * host set it up, is not started: it is reported blocked, and so is everything behind it.
 */
import { byName } from "./dependency-graph.ts";
import { blockedPlugin } from "./resolve-load-order.ts";
import type { BlockedPlugin, PluginCandidate } from "./resolve-load-order.ts";
import type { StateWatch, WatchedPlugin } from "./state-watch.ts";

/** What the start reads of a supervisor; a `Supervisor` fits. */
export interface StartablePlugin extends WatchedPlugin {
  /** Resolves after the first attempt, ready or not (a failed one may be retrying). */
  start(): Promise<void>;
}

export interface StartInOrderOptions {
  /** The supervisors by plugin name; a plugin of the order without one was refused during set-up. */
  readonly supervisors: ReadonlyMap<string, StartablePlugin>;
  /** Why a plugin of the order has no supervisor (its refusal, one line). */
  readonly refusedAtSetup: ReadonlyMap<string, string>;
  /** Fed by the supervisors' state changes. */
  readonly states: StateWatch;
  /** Once true, nothing more is started (the host is shutting down). */
  readonly isStopping: () => boolean;
  /** Told about each plugin held back, once. */
  readonly onBlocked: (blocked: BlockedPlugin) => void;
}

type Readiness = { readonly ready: true } | { readonly ready: false; readonly blockedBy: string; readonly chain: readonly string[]; readonly cause: string };

/**
 * Starts `order` (the resolver's: every plugin after the plugins it depends on) and resolves
 * when each plugin has had its first start attempt or been blocked. A plugin others need is
 * waited for until it is ready or has failed for good, so a dependent starts only after it.
 *
 * @throws TypeError (as a rejection) when a plugin comes before one of its dependencies.
 *
 * @example
 * ```ts
 * await startInOrder(resolution.order, { supervisors, refusedAtSetup, states, isStopping: () => false, onBlocked: report });
 * ```
 */
export function startInOrder(order: readonly PluginCandidate[], options: StartInOrderOptions): Promise<void> {
  const attempts = new Map<string, Promise<BlockedPlugin | null>>();
  const readiness = new Map<string, Promise<Readiness>>();

  const readinessOf = (name: string): Promise<Readiness> => {
    let known = readiness.get(name);
    if (known === undefined) {
      const attempt = attempts.get(name);
      if (attempt === undefined) return Promise.reject(new TypeError(`plugin "${name}" is started after a plugin that needs it; pass the resolver's order`));
      known = attempt.then(async (blocked): Promise<Readiness> => {
        if (blocked !== null) return { ready: false, blockedBy: blocked.blockedBy, chain: blocked.chain, cause: blocked.cause };
        const supervisor = options.supervisors.get(name);
        if (supervisor === undefined) {
          const why = options.refusedAtSetup.get(name) ?? "it is not installed";
          return { ready: false, blockedBy: name, chain: [name], cause: `"${name}" was refused: ${why}` };
        }
        const settled = await options.states.settled(supervisor);
        return settled.ready ? settled : { ready: false, blockedBy: name, chain: [name], cause: settled.why };
      });
      readiness.set(name, known);
    }
    return known;
  };

  for (const plugin of order) {
    const { name, dependencies } = plugin.manifest;
    // Every dependency's readiness is asked for before the first await, while `order` is walked.
    const needed = Object.keys(dependencies).sort(byName).map(readinessOf);
    attempts.set(name, (async () => {
      const blocker = (await Promise.all(needed)).find((r) => !r.ready);
      if (blocker !== undefined && !blocker.ready) {
        const blocked = blockedPlugin(plugin, blocker.blockedBy, [name, ...blocker.chain], blocker.cause);
        options.onBlocked(blocked);
        return blocked;
      }
      if (!options.isStopping()) await options.supervisors.get(name)?.start();
      return null;
    })());
  }
  return Promise.all(attempts.values()).then(() => undefined);
}
