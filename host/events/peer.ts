/** What events and extension points need from a loaded plugin: the parts of a Supervisor they use. */
import type { Manifest } from "../manifest/manifest.ts";
import type { PluginState } from "../supervisor.ts";

/** A loaded plugin as events and extension points see it (a `Supervisor` is one). */
export interface EventPeer {
  readonly name: string;
  readonly version: string;
  readonly manifest: Manifest;
  readonly state: PluginState;
  /** `timeoutMs` bounds each event delivery, like a request. */
  readonly grants: { readonly timeoutMs: number };
  /** Calls one of the plugin's entry points; rejects at once with PLUGIN_UNAVAILABLE when it is not ready. */
  call(method: string, payload: unknown, timeoutMs: number): Promise<unknown>;
}

/** States in which a plugin will take deliveries again (now or after its start): its events wait. */
export function willDeliver(state: PluginState): boolean {
  // Idle: a lazy plugin; delivering an event starts it (host/instances/instance-pool.ts).
  return state === "ready" || state === "idle" || state === "starting" || state === "restarting";
}
