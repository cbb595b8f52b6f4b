/**
 * The shapes of events and extension points as a plugin author sees them: what a subscriber's
 * handler receives, what a contributor answers, and the `ctx.events` and `ctx.extensions` members.
 *
 * @module
 */

import type { Contribution, EmitReceipt } from "../../../schemas/events.ts";

export type { Contribution, EmitReceipt } from "../../../schemas/events.ts";

/**
 * One event as a subscriber's handler receives it: `name`, JSON `payload`, `from` (the emitting
 * plugin, or "corral" for the host's `corral.plugin.*` events), `id` (host-wide, increasing) and
 * `time` (ISO 8601). Frozen, payload included.
 *
 * @example
 * ```ts
 * import type { PluginEvent } from "@corral/sdk";
 *
 * function describe(event: PluginEvent<{ id: number }>): string {
 *   return `${event.name} #${event.payload.id} from ${event.from} at ${event.time}`;
 * }
 * ```
 */
export interface PluginEvent<P = unknown> {
  /** Host-wide sequence number: increases with every event the host accepts. */
  readonly id: number;
  /** The event's name, like "notes.created". */
  readonly name: string;
  /** The emitter's JSON payload. */
  readonly payload: P;
  /** The emitting plugin's name, or "corral" for the host's own events. */
  readonly from: string;
  /** When the host accepted it, as an ISO 8601 string. */
  readonly time: string;
}

/**
 * Handles the events of one name or pattern (a key of `definePlugin({ events })`). It runs in the
 * subscriber's own process, outside any request; `ctx` is the plugin's context. A throw counts
 * as a failed delivery (logged with its stack in the plugin's log; the event is not retried).
 *
 * @example
 * ```ts
 * import type { EventHandler, PluginContext } from "@corral/sdk";
 *
 * const onCreated: EventHandler<PluginContext> = (event, ctx) => ctx.log.info("note created", { id: event.id });
 * ```
 */
export type EventHandler<Ctx> = (event: PluginEvent, ctx: Ctx) => void | Promise<void>;

/**
 * A plugin's event handlers by event name ("notes.created") or pattern ("notes.*"). Every
 * handler whose key matches an event runs, one after the other, in the order of the keys.
 *
 * @example
 * ```ts
 * import type { EventHandlers, PluginContext } from "@corral/sdk";
 *
 * const events: EventHandlers<PluginContext> = {
 *   "notes.created": (event, ctx) => ctx.log.info("created", { payload: event.payload }),
 *   "corral.plugin.*": (event, ctx) => ctx.log.debug(event.name, { payload: event.payload }),
 * };
 * ```
 */
export type EventHandlers<Ctx> = Readonly<Record<string, EventHandler<Ctx>>>;

/**
 * Answers an extension point's gathering with this plugin's contribution: `args` are the owner's
 * arguments; the result must be JSON. It is bounded by the point's `timeoutMs`.
 *
 * @example
 * ```ts
 * import type { ContributionHandler, PluginContext } from "@corral/sdk";
 *
 * const menu: ContributionHandler<PluginContext> = (_args, ctx) => ({ label: "Notes", href: `/plugins/${ctx.name}/` });
 * ```
 */
export type ContributionHandler<Ctx> = (args: unknown, ctx: Ctx) => unknown;

/**
 * A plugin's contributions by extension point name (each listed in its manifest's `contributes`).
 *
 * @example
 * ```ts
 * import type { Contributions, PluginContext } from "@corral/sdk";
 *
 * const contributions: Contributions<PluginContext> = {
 *   "admin.menu": () => ({ label: "Notes", href: "/plugins/notes/" }),
 * };
 * ```
 */
export type Contributions<Ctx> = Readonly<Record<string, ContributionHandler<Ctx>>>;

/**
 * `ctx.events`: emits events to the plugins that subscribe to them.
 *
 * @example
 * ```ts
 * import { definePlugin, type PluginEnv } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * const app = new Hono<PluginEnv>();
 * app.post("/notes", async (c) => {
 *   const note = { id: 1, title: "hello" };
 *   await c.env.events.emit("notes.created", note); // "notes.created" is in plugin.json's events.emits
 *   return c.json(note, 201);
 * });
 *
 * export default definePlugin({ app });
 * ```
 */
export interface PluginEvents {
  /**
   * Queues event `name` with a JSON `payload` (at most 64 KiB) for every subscriber, and
   * resolves as soon as the host has queued it, with its id and how many subscribers it was
   * queued for: it never waits for delivery. Rejects with a `TypeError` for a malformed name,
   * and with a `CorralError` `CORRAL_E_CALL_DENIED` when `name` is not in the manifest's
   * `events.emits` or is under "corral." (the host's).
   */
  emit(name: string, payload?: unknown): Promise<EmitReceipt>;
}

/**
 * `ctx.extensions`: gathers the contributions to an extension point the plugin declares.
 *
 * @example
 * ```ts
 * import { definePlugin, type PluginEnv } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * const app = new Hono<PluginEnv>();
 * app.get("/menu", async (c) => {
 *   const items = await c.env.extensions.gather<{ label: string }>("admin.menu", { user: "ada" });
 *   return c.json(items.flatMap((item) => ("value" in item ? [item.value] : [])));
 * });
 *
 * export default definePlugin({ app });
 * ```
 */
export interface PluginExtensions {
  /**
   * Calls every contributor of `point` concurrently with `args` (JSON) and resolves with one
   * entry per contributor, by plugin name: `{ plugin, value }`, or `{ plugin, error: { code,
   * message } }` for one that threw, timed out or is not running. It never fails because of a
   * contributor. Rejects with `CORRAL_E_CALL_DENIED` when the manifest's `extensionPoints` does
   * not declare `point`.
   */
  gather<T = unknown>(point: string, args?: unknown): Promise<Contribution<T>[]>;
}
