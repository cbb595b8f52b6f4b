/**
 * The contract of events and extension points, shared by the host and the SDK: the call methods,
 * the shapes their payloads take, how a subscription pattern matches an event name, and the
 * names reserved to the host.
 *
 * @module
 */

/** Plugin -> host: queue an event for its subscribers; payload {@linkcode EmitRequest}, result {@linkcode EmitReceipt}. */
export const EMIT_METHOD = "events.emit";
/** Host -> plugin: run the plugin's handlers for one event; payload {@linkcode DeliveredEvent}. */
export const DELIVER_METHOD = "events.deliver";
/** Plugin -> host: call every contributor of a point the caller owns; payload {@linkcode GatherRequest}, result `Contribution[]`. */
export const GATHER_METHOD = "extensions.gather";
/** Host -> plugin: run the plugin's contribution to one point; payload {@linkcode ContributeRequest}, result its value. */
export const CONTRIBUTE_METHOD = "extensions.contribute";

/** The `from` of events the host itself emits (`corral.plugin.loaded`...). */
export const HOST_SOURCE = "corral";
/** Event names under this prefix belong to the host: no plugin may emit them. */
export const RESERVED_PREFIX = "corral.";

/** An event or extension point name: dot-separated lowercase segments, at least two ("notes.created"). */
export const NAME_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
/** A subscription: a name, or a prefix ending in ".*" ("notes.*"). */
export const SUBSCRIPTION_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*(\.\*)?$/;

/**
 * Largest event payload, in bytes of its JSON (UTF-8). Events are notifications, queued in the
 * host's memory for every subscriber: send an id and let subscribers fetch what they need.
 */
export const MAX_EVENT_PAYLOAD_BYTES = 64 * 1024;

/** What `events.emit` carries. */
export interface EmitRequest {
  readonly name: string;
  readonly payload: unknown;
}

/** What `events.emit` answers: the event's id and how many subscribers it was queued for. */
export interface EmitReceipt {
  /** The event's host-wide id (what subscribers see as `event.id`). */
  readonly id: number;
  /** How many subscribers it was queued for (not counting those whose queue was full). */
  readonly queued: number;
}

/** One event as a subscriber receives it (`events.deliver`'s payload). */
export interface DeliveredEvent<P = unknown> {
  /** Host-wide sequence number: increases with every event the host accepts. */
  readonly id: number;
  readonly name: string;
  readonly payload: P;
  /** The emitting plugin's name, or "corral" for the host's own events. */
  readonly from: string;
  /** When the host accepted it, as an ISO 8601 string. */
  readonly time: string;
}

/** What `extensions.gather` carries. */
export interface GatherRequest {
  readonly point: string;
  readonly args: unknown;
}

/** What `extensions.contribute` carries. */
export type ContributeRequest = GatherRequest;

/** One contributor's answer to a gathering: its value, or why it has none. */
export type Contribution<T = unknown> =
  | { readonly plugin: string; readonly value: T }
  | { readonly plugin: string; readonly error: { readonly code: string; readonly message: string } };

/** The payload of the host's `corral.plugin.*` events. */
export interface PluginLifecyclePayload {
  readonly plugin: string;
  readonly version: string;
  /** The plugin's state after the change ("ready", "failed", "stopped", "uninstalled"...). */
  readonly state: string;
  readonly reason?: string;
}

/** The host's lifecycle events. */
export const LIFECYCLE_EVENTS = Object.freeze({
  loaded: "corral.plugin.loaded",
  unloaded: "corral.plugin.unloaded",
  failed: "corral.plugin.failed",
  enabled: "corral.plugin.enabled",
  disabled: "corral.plugin.disabled",
} as const);

/**
 * Whether subscription `pattern` covers event `name`: equal, or `pattern` is "p.*" and `name`
 * starts with "p." (at any depth: "notes.*" covers "notes.created" and "notes.tag.added").
 *
 * @example
 * ```ts
 * matchesEvent("notes.*", "notes.created"); // true
 * matchesEvent("notes.*", "notes"); // false
 * ```
 */
export function matchesEvent(pattern: string, name: string): boolean {
  if (pattern.endsWith(".*")) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}

/** Whether `name` is one of the host's own (under "corral."). */
export function isReservedEvent(name: string): boolean {
  return name.startsWith(RESERVED_PREFIX);
}
