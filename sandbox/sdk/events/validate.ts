/**
 * `definePlugin()`'s checks of `events` and `contributions`, so a mistake shows at load time
 * rather than at the first delivery.
 *
 * @module
 */

import { NAME_PATTERN, SUBSCRIPTION_PATTERN } from "../../../schemas/events.ts";

/** Throws a `TypeError` unless `events` is undefined or an object of name-or-pattern -> function. */
export function checkEventHandlers(events: unknown): void {
  checkTable("events", events, SUBSCRIPTION_PATTERN, "an event name like \"notes.created\" or a pattern like \"notes.*\"", "(event, ctx) => {...}");
}

/** Throws a `TypeError` unless `contributions` is undefined or an object of point name -> function. */
export function checkContributions(contributions: unknown): void {
  checkTable("contributions", contributions, NAME_PATTERN, "an extension point name like \"admin.menu\"", "(args, ctx) => value");
}

function checkTable(field: string, table: unknown, keys: RegExp, expectedKey: string, expectedValue: string): void {
  if (table === undefined) return;
  if (typeof table !== "object" || table === null || Array.isArray(table)) {
    throw new TypeError(`definePlugin({ ${field} }): ${field} must be an object of name -> ${expectedValue}, got ${describe(table)}`);
  }
  for (const [key, value] of Object.entries(table)) {
    if (!keys.test(key)) throw new TypeError(`definePlugin({ ${field} }): ${JSON.stringify(key)} is not ${expectedKey}`);
    if (typeof value !== "function") {
      throw new TypeError(`definePlugin({ ${field} }): ${field}[${JSON.stringify(key)}] must be a function ${expectedValue}, got ${describe(value)}`);
    }
  }
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? JSON.stringify(value.slice(0, 60)) : typeof value === "object" ? "an object" : typeof value;
}
