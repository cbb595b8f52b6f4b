/**
 * The host's side of events and extension points under `testPlugin()`: records what the plugin
 * emits, answers its gatherings with the test's fake contributions, and applies the host's rules
 * (reserved names; with a manifest, `events.emits` and `extensionPoints`).
 *
 * @module
 */

import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import {
  CONTRIBUTE_METHOD,
  type Contribution,
  DELIVER_METHOD,
  type EmitReceipt,
  EMIT_METHOD,
  GATHER_METHOD,
  HOST_SOURCE,
  isReservedEvent,
  matchesEvent,
  MAX_EVENT_PAYLOAD_BYTES,
} from "../../../schemas/events.ts";
import type { HostServices } from "../_plugin-internals.ts";
import type { StartedPlugin } from "../_internal.ts";

/**
 * The parts of a plugin.json that events and extension points read; pass the parsed file
 * (`import manifest from "./plugin.json" with { type: "json" }`).
 *
 * @example
 * ```ts
 * import type { EventsManifest } from "@corral/sdk/testing";
 *
 * const manifest: EventsManifest = { events: { emits: ["notes.created"], subscribes: ["corral.plugin.*"] } };
 * ```
 */
export interface EventsManifest {
  /** The events the plugin may emit and the names or patterns it receives. */
  readonly events?: { readonly emits?: readonly string[]; readonly subscribes?: readonly string[] };
  /** The extension points the plugin owns, by name. */
  readonly extensionPoints?: Readonly<Record<string, unknown>>;
  /** The extension points it contributes to. */
  readonly contributes?: readonly string[];
}

/**
 * Fake answers to `ctx.extensions.gather(point, args)`, by point: a list of contributions, or a
 * function of the arguments that makes one.
 *
 * @example
 * ```ts
 * import type { FakeContributions } from "@corral/sdk/testing";
 *
 * const gather: FakeContributions = {
 *   "admin.menu": [{ plugin: "notes", value: { label: "Notes" } }, { plugin: "slow", error: { code: "CORRAL_E_CALL_TIMEOUT", message: "too slow" } }],
 *   "admin.search": (args) => [{ plugin: "notes", value: { query: args } }],
 * };
 * ```
 */
export type FakeContributions = Readonly<
  Record<string, readonly Contribution[] | ((args: unknown) => readonly Contribution[] | Promise<readonly Contribution[]>)>
>;

/**
 * One event a plugin under test emitted, as the host would have accepted it.
 *
 * @example
 * ```ts
 * import type { EmittedEvent } from "@corral/sdk/testing";
 *
 * const seen: EmittedEvent = { id: 1, name: "notes.created", payload: { id: 7 } };
 * ```
 */
export interface EmittedEvent {
  /** 1 for the first event the plugin emitted under test, then 2, 3... */
  readonly id: number;
  /** The event's name. */
  readonly name: string;
  /** The payload after a trip through JSON, as subscribers would get it. */
  readonly payload: unknown;
}

/**
 * `testPlugin()`'s options for events and extension points.
 *
 * @example
 * ```ts
 * import type { EventsTestOptions } from "@corral/sdk/testing";
 *
 * const options: EventsTestOptions = {
 *   manifest: { events: { emits: ["notes.created"] }, extensionPoints: { "admin.menu": {} } },
 *   gather: { "admin.menu": [{ plugin: "notes", value: { label: "Notes" } }] },
 * };
 * ```
 */
export interface EventsTestOptions {
  /**
   * The plugin's plugin.json (parsed). When given, `ctx.events.emit` and `ctx.extensions.gather`
   * are refused as the host would (`CORRAL_E_CALL_DENIED` for a name not in `events.emits`, a
   * point not in `extensionPoints`), and `deliver` / `contribute` check `events.subscribes` /
   * `contributes`. Without it, only names under "corral." are refused.
   */
  readonly manifest?: EventsManifest;
  /** What `ctx.extensions.gather(point)` answers, by point; `[]` for a point not listed. */
  readonly gather?: FakeContributions;
}

/**
 * What `testPlugin()` adds for events and extension points.
 *
 * @example
 * ```ts
 * import { testPlugin } from "@corral/sdk/testing";
 * import plugin from "./mod.ts";
 *
 * await using running = await testPlugin(plugin);
 * await running.deliver("notes.created", { id: 1 });
 * console.log(running.emitted, await running.contribute("admin.menu"));
 * ```
 */
export interface EventsTestHelpers {
  /** Every event the plugin emitted so far (`ctx.events.emit`), oldest first. */
  readonly emitted: readonly EmittedEvent[];
  /**
   * Delivers an event to the plugin's `events` handlers as the host would (the payload goes
   * through JSON; `from` defaults to "corral" for names under "corral.", else "test").
   * Rejects with the handler's failure (a `CorralError` whose `cause` is what it threw).
   */
  deliver(name: string, payload?: unknown, options?: { readonly from?: string }): Promise<void>;
  /** Runs the plugin's contribution to `point` with `args`, as a gathering would, and resolves with its value. */
  contribute(point: string, args?: unknown): Promise<unknown>;
}

/** The fake host of one plugin under test, and what it recorded. */
export interface FakeEventsHost {
  readonly host: HostServices;
  readonly emitted: readonly EmittedEvent[];
  /** Whether the manifest (when given) lets the plugin receive `name`. */
  subscribes(name: string): boolean;
  /** Whether the manifest (when given) lists `point` in `contributes`. */
  contributes(point: string): boolean;
}

/** The host side of events and extension points for plugin `plugin` under test. */
export function fakeEventsHost(plugin: string, { manifest, gather = {} }: EventsTestOptions): FakeEventsHost {
  const emitted: EmittedEvent[] = [];
  const emit = (payload: unknown): EmitReceipt => {
    const { name, payload: data } = payload as { name: string; payload: unknown };
    if (isReservedEvent(name)) {
      throw new CorralError(ErrorCode.CALL_DENIED, `plugin "${plugin}" may not emit "${name}": event names under "corral." are reserved to the host`);
    }
    const emits = manifest?.events?.emits ?? [];
    if (manifest !== undefined && !emits.includes(name)) {
      throw new CorralError(ErrorCode.CALL_DENIED,
        `plugin "${plugin}" may not emit "${name}": it is not listed in its manifest's events.emits (${JSON.stringify(emits)}); add it to "events": { "emits": [...] } in plugin.json`);
    }
    const json = JSON.stringify(data ?? null);
    const bytes = new TextEncoder().encode(json).length;
    if (bytes > MAX_EVENT_PAYLOAD_BYTES) {
      throw new CorralError(ErrorCode.CALL_FAILED, `plugin "${plugin}": the payload of event "${name}" is ${bytes} bytes of JSON, over the limit of ${MAX_EVENT_PAYLOAD_BYTES}`);
    }
    const event = Object.freeze({ id: emitted.length + 1, name, payload: JSON.parse(json) });
    emitted.push(event);
    return { id: event.id, queued: 0 };
  };
  const gatherFake = async (payload: unknown): Promise<readonly Contribution[]> => {
    const { point, args } = payload as { point: string; args: unknown };
    const points = Object.keys(manifest?.extensionPoints ?? {});
    if (manifest !== undefined && !points.includes(point)) {
      throw new CorralError(ErrorCode.CALL_DENIED,
        `plugin "${plugin}" may not gather "${point}": only the plugin that declares an extension point may gather it, and its manifest's extensionPoints has ${JSON.stringify(points)}`);
    }
    const answer = Object.hasOwn(gather, point) ? gather[point] : [];
    const list = typeof answer === "function" ? await answer(args) : answer;
    // Through JSON, as from the host, and in the host's order.
    return (JSON.parse(JSON.stringify(list)) as Contribution[]).sort((a, b) => (a.plugin < b.plugin ? -1 : a.plugin > b.plugin ? 1 : 0));
  };
  return {
    emitted,
    host: {
      call(method, payload) {
        if (method === EMIT_METHOD) return Promise.resolve().then(() => emit(payload));
        if (method === GATHER_METHOD) return gatherFake(payload);
        return Promise.reject(new CorralError(ErrorCode.CALL_UNKNOWN, `no host to call "${method}" (the plugin runs under testPlugin())`));
      },
    },
    subscribes: (name) => manifest === undefined || (manifest.events?.subscribes ?? []).some((pattern) => matchesEvent(pattern, name)),
    contributes: (point) => manifest === undefined || (manifest.contributes ?? []).includes(point),
  };
}

/** {@linkcode EventsTestHelpers} for `started`, the plugin `fake` serves. */
export function eventsTestHelpers(plugin: string, fake: FakeEventsHost, started: Pick<StartedPlugin, "handleCall">): EventsTestHelpers {
  let lastId = 0;
  return {
    emitted: fake.emitted,
    async deliver(name, payload, options = {}) {
      if (!fake.subscribes(name)) {
        throw new TypeError(`testPlugin(): plugin "${plugin}" does not subscribe to "${name}" in its manifest's events.subscribes, so the host would never deliver it`);
      }
      const from = options.from ?? (isReservedEvent(name) ? HOST_SOURCE : "test");
      await started.handleCall(DELIVER_METHOD, { id: ++lastId, name, payload: throughJson(payload), from, time: new Date().toISOString() });
    },
    async contribute(point, args) {
      if (!fake.contributes(point)) {
        throw new TypeError(`testPlugin(): plugin "${plugin}" does not list "${point}" in its manifest's contributes, so the host would never ask it`);
      }
      return await started.handleCall(CONTRIBUTE_METHOD, { point, args: throughJson(args) });
    },
  };
}

/** `value` as the other side of the protocol would see it. */
function throughJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null));
}
