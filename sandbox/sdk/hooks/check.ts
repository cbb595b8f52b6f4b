/**
 * `definePlugin()`'s checks of `hooks` and `globalHooks`: a typo or a wrong type fails where it
 * is made, not at the first request.
 *
 * @module
 */

import type { GlobalRequestHooks, RequestHooks } from "./types.ts";

const LOCAL_KINDS = ["beforeRequest", "afterRequest", "teardownRequest", "onError"] as const;
const GLOBAL_KINDS = ["beforeRequest", "afterRequest", "teardownRequest"] as const;

/**
 * Checks `definePlugin({ hooks })` and returns a frozen copy (arrays copied too).
 * @throws TypeError naming the field and what it got.
 */
export function checkLocalHooks<Ctx>(hooks: RequestHooks<Ctx> | undefined): RequestHooks<Ctx> | undefined {
  if (hooks === undefined) return undefined;
  const object = objectOf(hooks, "hooks", LOCAL_KINDS);
  const copy: Record<string, unknown> = {};
  for (const kind of LOCAL_KINDS) {
    const value = object[kind];
    if (value === undefined) continue;
    if (Array.isArray(value) && kind !== "onError") {
      value.forEach((hook, i) => functionOf(hook, `hooks.${kind}[${i}]`));
      copy[kind] = Object.freeze([...value]);
    } else {
      copy[kind] = functionOf(value, `hooks.${kind}`, kind !== "onError");
    }
  }
  return Object.freeze(copy) as RequestHooks<Ctx>;
}

/**
 * Checks `definePlugin({ globalHooks })` and returns a frozen copy.
 * @throws TypeError naming the field and what it got.
 */
export function checkGlobalHooks<Ctx>(globalHooks: GlobalRequestHooks<Ctx> | undefined): GlobalRequestHooks<Ctx> | undefined {
  if (globalHooks === undefined) return undefined;
  const object = objectOf(globalHooks, "globalHooks", GLOBAL_KINDS);
  const copy: Record<string, unknown> = {};
  for (const kind of GLOBAL_KINDS) {
    if (object[kind] !== undefined) copy[kind] = functionOf(object[kind], `globalHooks.${kind}`);
  }
  return Object.freeze(copy) as GlobalRequestHooks<Ctx>;
}

function objectOf(value: unknown, field: string, kinds: readonly string[]): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`definePlugin({ ${field} }): ${field} must be an object like { ${kinds.join(", ")} }, got ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!kinds.includes(key)) {
      throw new TypeError(`definePlugin({ ${field} }): unknown hook ${JSON.stringify(key)}; the hooks are ${kinds.join(", ")}`);
    }
  }
  return value as Record<string, unknown>;
}

function functionOf(value: unknown, field: string, arrayAllowed = false): unknown {
  if (typeof value === "function") return value;
  const expected = arrayAllowed ? "a function or an array of functions" : "a function";
  throw new TypeError(`definePlugin(): ${field} must be ${expected}, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return JSON.stringify(value.slice(0, 60));
  return typeof value === "number" || typeof value === "boolean" ? String(value) : typeof value;
}
