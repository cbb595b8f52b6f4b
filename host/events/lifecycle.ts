/**
 * The host's own events about plugins (`corral.plugin.*`), sent through the bus like any other:
 * which state change means which event, and the payload {plugin, version, state, reason?}.
 */
import { HOST_SOURCE, LIFECYCLE_EVENTS, type PluginLifecyclePayload } from "../../schemas/events.ts";
import type { PluginHealth, PluginState } from "../supervisor.ts";
import type { EventBus } from "./event-bus.ts";

/** The parts of a Supervisor the lifecycle events read. */
export interface LifecyclePeer {
  readonly name: string;
  readonly version: string;
  health(): Pick<PluginHealth, "restarts" | "failure" | "lastExit">;
}

export type LifecycleEvent = keyof typeof LIFECYCLE_EVENTS;

/** Sends `corral.plugin.<kind>` about `peer` from "corral". */
export function emitLifecycle(bus: EventBus, kind: LifecycleEvent, peer: LifecyclePeer, state: string, reason?: string): void {
  const payload: PluginLifecyclePayload = {
    plugin: peer.name,
    version: peer.version,
    state,
    ...(reason === undefined ? {} : { reason }),
  };
  bus.emit(HOST_SOURCE, LIFECYCLE_EVENTS[kind], payload, Buffer.byteLength(JSON.stringify(payload)));
}

/**
 * The event a supervisor state change means, if any: "ready" is `loaded` (after each restart
 * too, with the crash as reason), "failed" is `failed` with the supervisor's diagnosis. Stops
 * are not events here: an uninstall says `unloaded` itself, and a host shutdown tells no one.
 */
export function lifecycleOfState(peer: LifecyclePeer, state: PluginState): { kind: LifecycleEvent; reason?: string } | undefined {
  if (state === "ready") {
    const { restarts, lastExit } = peer.health();
    return restarts === 0 || lastExit === null ? { kind: "loaded" } : { kind: "loaded", reason: `restarted after: ${lastExit.message}` };
  }
  if (state === "failed") return { kind: "failed", reason: peer.health().failure ?? "failed to start" };
  return undefined;
}
