/**
 * The host services `events.emit` and `extensions.gather`: they check the request and the
 * caller's manifest (deny by default), then hand over to the bus or the extension points.
 */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import {
  EMIT_METHOD,
  GATHER_METHOD,
  isReservedEvent,
  MAX_EVENT_PAYLOAD_BYTES,
  NAME_PATTERN,
  RESERVED_PREFIX,
} from "../../schemas/events.ts";
import type { Caller, ServiceRegistry } from "../services/registry.ts";
import type { EventBus } from "./event-bus.ts";
import type { ExtensionPoints } from "./extension-points.ts";

export function registerEventServices(services: ServiceRegistry, bus: EventBus, points: ExtensionPoints): void {
  services.register(EMIT_METHOD, (caller, payload) => {
    const { name, payload: eventPayload } = readRequest(payload, EMIT_METHOD, "name", "payload");
    checkName(name, EMIT_METHOD, "an event name like \"notes.created\"");
    if (isReservedEvent(name)) {
      throw new CorralError(ErrorCode.CALL_DENIED,
        `plugin "${caller.name}" may not emit "${name}": event names under "${RESERVED_PREFIX}" are reserved to the host; use a name of your own, like "${caller.name}.${name.slice(RESERVED_PREFIX.length)}"`);
    }
    if (!caller.manifest.events.emits.includes(name)) {
      throw new CorralError(ErrorCode.CALL_DENIED,
        `plugin "${caller.name}" may not emit "${name}": it is not listed in its manifest's events.emits (${JSON.stringify(caller.manifest.events.emits)}); add it to "events": { "emits": [...] } in plugin.json`);
    }
    const bytes = Buffer.byteLength(JSON.stringify(eventPayload ?? null));
    if (bytes > MAX_EVENT_PAYLOAD_BYTES) {
      throw new CorralError(ErrorCode.CALL_FAILED,
        `plugin "${caller.name}": the payload of event "${name}" is ${bytes} bytes of JSON, over the limit of ${MAX_EVENT_PAYLOAD_BYTES}; send an id and let subscribers fetch the rest`);
    }
    return bus.emit(caller.name, name, eventPayload ?? null, bytes);
  });

  services.register(GATHER_METHOD, (caller: Caller, payload) => {
    const { point, args } = readRequest(payload, GATHER_METHOD, "point", "args");
    checkName(point, GATHER_METHOD, "an extension point name like \"admin.menu\"");
    const declared = caller.manifest.extensionPoints[point];
    if (declared === undefined) {
      throw new CorralError(ErrorCode.CALL_DENIED,
        `plugin "${caller.name}" may not gather "${point}": only the plugin that declares an extension point may gather it, and its manifest's extensionPoints has ${JSON.stringify(Object.keys(caller.manifest.extensionPoints))}; declare it there ("extensionPoints": { "${point}": {} })`);
    }
    return points.gather(caller.name, point, declared.timeoutMs, args ?? null);
  });
}

/** The request as an object with a string `key` and a free `extra` member. */
function readRequest<K extends string, E extends string>(payload: unknown, method: string, key: K, extra: E): Record<K, string> & Record<E, unknown> {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload) || typeof (payload as Record<string, unknown>)[key] !== "string") {
    throw new CorralError(ErrorCode.CALL_FAILED, `"${method}" expects {"${key}": string, "${extra}": JSON}, got ${JSON.stringify(payload)?.slice(0, 100)}`);
  }
  return payload as Record<K, string> & Record<E, unknown>;
}

function checkName(name: string, method: string, expected: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new CorralError(ErrorCode.CALL_FAILED, `"${method}": ${JSON.stringify(name.slice(0, 100))} is not ${expected} (dot-separated lowercase segments)`);
  }
}
