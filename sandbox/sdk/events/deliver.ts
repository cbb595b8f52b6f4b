/**
 * The `events.deliver` entry point: runs the plugin's handlers for one event the host delivers.
 *
 * @module
 */

import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { matchesEvent } from "../../../schemas/events.ts";
import type { PluginInternals } from "../_plugin-internals.ts";
import type { PluginEvent } from "./types.ts";

/**
 * Runs every handler of `definition.events` whose key matches the event, one after the other.
 * Each failure is logged in the plugin's log with its stack; the delivery then fails with the
 * first one's message (the host counts and logs it), after the other handlers have run.
 *
 * @throws CorralError CALL_FAILED for a malformed event, an event no handler matches, or a handler that threw.
 */
export async function deliverEvent(plugin: PluginInternals, payload: unknown): Promise<{ handlers: number }> {
  const event = readEvent(payload);
  const { context } = plugin;
  const handlers = Object.entries(plugin.definition.events ?? {}).filter(([pattern]) => matchesEvent(pattern, event.name));
  if (handlers.length === 0) {
    throw new CorralError(ErrorCode.CALL_FAILED,
      `plugin "${context.name}" received event "${event.name}" but defines no handler for it: add events: { "${event.name}": (event, ctx) => {...} } to definePlugin(), or drop it from events.subscribes in plugin.json`);
  }
  let first: { pattern: string; error: unknown } | undefined;
  for (const [pattern, handler] of handlers) {
    try {
      await handler(event, context);
    } catch (error) {
      first ??= { pattern, error };
      context.log.error(`event handler "${pattern}" failed on "${event.name}" (id ${event.id}): ${messageOf(error)}`, {
        error: error instanceof Error ? error.name : typeof error,
        stack: error instanceof Error ? error.stack : undefined,
      });
    }
  }
  if (first !== undefined) {
    throw new CorralError(ErrorCode.CALL_FAILED,
      `plugin "${context.name}": event handler "${first.pattern}" threw on "${event.name}" (id ${event.id}): ${messageOf(first.error)}`,
      { cause: first.error });
  }
  return { handlers: handlers.length };
}

/** The host's payload as a frozen event, payload included; CALL_FAILED when it is not one. */
function readEvent(payload: unknown): PluginEvent {
  const raw = payload as Partial<PluginEvent> | null;
  if (typeof raw !== "object" || raw === null || typeof raw.name !== "string" || typeof raw.id !== "number" ||
    typeof raw.from !== "string" || typeof raw.time !== "string") {
    throw new CorralError(ErrorCode.CALL_FAILED, `"events.deliver" expects {id, name, payload, from, time}, got ${JSON.stringify(payload)?.slice(0, 100)}`);
  }
  return deepFreeze({ id: raw.id, name: raw.name, payload: raw.payload ?? null, from: raw.from, time: raw.time });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
