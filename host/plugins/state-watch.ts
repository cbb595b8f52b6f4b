/** Lets the host wait for a supervisor to reach a state, fed by each supervisor's onStateChange. */
import type { PluginState } from "../supervisor.ts";

/** What the watch reads of a supervisor; a `Supervisor` fits. */
export interface WatchedPlugin {
  readonly name: string;
  readonly state: PluginState;
  health(): { readonly failure: string | null };
}

/** How a started plugin ended up once it stopped retrying. */
export type Settled = { readonly ready: true } | { readonly ready: false; readonly why: string };

/** States a started plugin leaves only by an operator's or the host's action. */
const SETTLED: ReadonlySet<PluginState> = new Set(["ready", "idle", "failed", "stopping", "stopped"]);

export class StateWatch {
  readonly #waiting = new Map<string, Set<(state: PluginState) => void>>();

  /** Call with every state change of the plugin `name` (from its supervisor's onStateChange). */
  notify(name: string, state: PluginState): void {
    for (const wake of [...(this.#waiting.get(name) ?? [])]) wake(state);
  }

  /** Resolves with the first of `states` the plugin is in now or enters later. */
  until(plugin: WatchedPlugin, states: ReadonlySet<PluginState>): Promise<PluginState> {
    if (states.has(plugin.state)) return Promise.resolve(plugin.state);
    return new Promise((resolve) => {
      const waiting = this.#waiting.get(plugin.name) ?? new Set();
      this.#waiting.set(plugin.name, waiting);
      const wake = (state: PluginState) => {
        if (!states.has(state)) return;
        waiting.delete(wake);
        if (waiting.size === 0) this.#waiting.delete(plugin.name);
        resolve(state);
      };
      waiting.add(wake);
    });
  }

  /**
   * Resolves once a started plugin is ready, or has given up (failed) or been stopped; a plugin
   * that is restarting after a failed start is waited for.
   */
  async settled(plugin: WatchedPlugin): Promise<Settled> {
    const state = await this.until(plugin, SETTLED);
    // Idle: a lazy plugin, started by the first request or call its dependents make.
    if (state === "ready" || state === "idle") return { ready: true };
    if (state === "failed") return { ready: false, why: `"${plugin.name}" failed to start: ${plugin.health().failure ?? "no reason recorded"}` };
    return { ready: false, why: `"${plugin.name}" was stopped before it was ready` };
  }
}
