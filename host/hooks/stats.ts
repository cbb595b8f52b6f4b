/**
 * Counters of each plugin's global hooks, for /health: how often each ran, failed, timed out or
 * answered a request itself, and the last failure.
 */
import type { GlobalHookKind } from "../../schemas/global-hooks.ts";
import type { OrderedGlobalHook } from "../plugins/global-hook-order.ts";

/** What /health shows for one global hook of one plugin. */
export interface HookHealth {
  readonly kind: GlobalHookKind;
  readonly plugin: string;
  readonly priority: number;
  readonly timeoutMs: number;
  readonly paths: readonly string[];
  /** Calls made (each request the hook ran for). */
  readonly calls: number;
  /** Calls that failed (timeouts included): fail closed for beforeRequest, open for the others. */
  readonly failures: number;
  readonly timeouts: number;
  /** Requests a beforeRequest hook answered itself (0 for the other kinds). */
  readonly shortCircuits: number;
  /** Mean time of the successful calls, in milliseconds (0 before the first). */
  readonly meanMs: number;
  readonly lastFailure: { readonly at: string; readonly message: string } | null;
}

interface Counters {
  calls: number;
  failures: number;
  timeouts: number;
  shortCircuits: number;
  succeeded: number;
  totalMs: number;
  lastFailure: { at: string; message: string } | null;
}

export class HookStats {
  readonly #counters = new Map<string, Counters>();
  #hooks: readonly (OrderedGlobalHook & { readonly kind: GlobalHookKind })[] = [];

  /**
   * The hooks to report, in running order per kind; a new one's counters start at 0, one already
   * declared keeps its counters (the manager declares again when a plugin appears at runtime).
   */
  declare(hooks: readonly (OrderedGlobalHook & { readonly kind: GlobalHookKind })[]): void {
    this.#hooks = hooks;
    for (const { kind, plugin } of hooks) if (!this.#counters.has(key(kind, plugin))) this.#counters.set(key(kind, plugin), fresh());
  }

  succeeded(kind: GlobalHookKind, plugin: string, ms: number): void {
    const counters = this.#of(kind, plugin);
    counters.calls++;
    counters.succeeded++;
    counters.totalMs += ms;
  }

  shortCircuited(plugin: string): void {
    this.#of("beforeRequest", plugin).shortCircuits++;
  }

  failed(kind: GlobalHookKind, plugin: string, message: string, timedOut: boolean): void {
    const counters = this.#of(kind, plugin);
    counters.calls++;
    counters.failures++;
    if (timedOut) counters.timeouts++;
    counters.lastFailure = { at: new Date().toISOString(), message };
  }

  report(): readonly HookHealth[] {
    return this.#hooks.map(({ kind, plugin, hook }) => {
      const { calls, failures, timeouts, shortCircuits, succeeded, totalMs, lastFailure } = this.#of(kind, plugin);
      return {
        kind, plugin, priority: hook.priority, timeoutMs: hook.timeoutMs, paths: hook.paths,
        calls, failures, timeouts, shortCircuits,
        meanMs: succeeded === 0 ? 0 : Math.round((totalMs / succeeded) * 1000) / 1000,
        lastFailure: lastFailure === null ? null : { ...lastFailure },
      };
    });
  }

  #of(kind: GlobalHookKind, plugin: string): Counters {
    let counters = this.#counters.get(key(kind, plugin));
    if (counters === undefined) this.#counters.set(key(kind, plugin), counters = fresh());
    return counters;
  }
}

function key(kind: GlobalHookKind, plugin: string): string {
  return `${kind}\n${plugin}`;
}

function fresh(): Counters {
  return { calls: 0, failures: 0, timeouts: 0, shortCircuits: 0, succeeded: 0, totalMs: 0, lastFailure: null };
}
