/**
 * `ctx.events` and `ctx.extensions`: the plugin's side of `events.emit` and `extensions.gather`,
 * as calls to the host.
 *
 * @module
 */

import { EMIT_METHOD, GATHER_METHOD, NAME_PATTERN } from "../../../schemas/events.ts";
import type { Contribution, EmitReceipt } from "../../../schemas/events.ts";
import type { HostServices } from "../_plugin-internals.ts";
import type { PluginEvents, PluginExtensions } from "./types.ts";

/** `ctx.events` of a plugin whose host services are `host`. */
export function createEvents(host: HostServices): PluginEvents {
  return Object.freeze({
    emit(name: string, payload?: unknown): Promise<EmitReceipt> {
      const bad = checkName("ctx.events.emit", "an event name like \"notes.created\"", name);
      if (bad) return Promise.reject(bad);
      return host.call(EMIT_METHOD, { name, payload: payload ?? null }) as Promise<EmitReceipt>;
    },
  });
}

/** `ctx.extensions` of a plugin whose host services are `host`. */
export function createExtensions(host: HostServices): PluginExtensions {
  return Object.freeze({
    gather<T>(point: string, args?: unknown): Promise<Contribution<T>[]> {
      const bad = checkName("ctx.extensions.gather", "an extension point name like \"admin.menu\"", point);
      if (bad) return Promise.reject(bad);
      return host.call(GATHER_METHOD, { point, args: args ?? null }) as Promise<Contribution<T>[]>;
    },
  });
}

function checkName(where: string, expected: string, name: unknown): TypeError | undefined {
  if (typeof name === "string" && NAME_PATTERN.test(name)) return undefined;
  return new TypeError(`${where}(): ${JSON.stringify(name)} is not ${expected} (dot-separated lowercase segments)`);
}
