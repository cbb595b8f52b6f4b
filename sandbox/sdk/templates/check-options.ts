/**
 * Checks the `templates` field of `definePlugin()`, so a mistake shows where it is made rather
 * than at the first render.
 *
 * @module
 */

import { HOST_HELPERS } from "./host-values.ts";
import type { TemplateOptions } from "../types.ts";
import { describeValue } from "../_describe.ts";

/** Handlebars' built-in helpers: a plugin may not replace them. */
const BUILT_IN_HELPERS = ["if", "unless", "each", "with", "lookup", "log", "helperMissing", "blockHelperMissing"];
const RESERVED = new Set<string>([...BUILT_IN_HELPERS, ...HOST_HELPERS]);
const HELPER_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * A frozen copy of `value` when it is a valid `templates` field.
 * @throws TypeError naming the problem.
 */
export function checkTemplateOptions(value: unknown): TemplateOptions | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw new TypeError(`definePlugin({ templates }): templates must be an object like { helpers, contextProcessors }, got ${describeValue(value)}`);
  for (const key of Object.keys(value)) {
    if (key !== "helpers" && key !== "contextProcessors") {
      throw new TypeError(`definePlugin({ templates }): unknown key ${JSON.stringify(key)}; templates takes helpers and contextProcessors`);
    }
  }
  const { helpers, contextProcessors } = value as { helpers?: unknown; contextProcessors?: unknown };
  if (helpers !== undefined) {
    if (!isPlainObject(helpers)) throw new TypeError(`definePlugin({ templates }): helpers must be an object of name -> function, got ${describeValue(helpers)}`);
    for (const [name, helper] of Object.entries(helpers)) {
      if (!HELPER_NAME.test(name)) {
        throw new TypeError(`definePlugin({ templates }): helper name ${JSON.stringify(name)} must be letters, digits, "_" or "-", starting with a letter or "_"`);
      }
      if (RESERVED.has(name)) {
        throw new TypeError(`definePlugin({ templates }): helper "${name}" is provided by ${HOST_HELPERS.includes(name as never) ? "the host" : "Handlebars"}; give yours another name`);
      }
      if (typeof helper !== "function") throw new TypeError(`definePlugin({ templates }): helper "${name}" must be a function, got ${describeValue(helper)}`);
    }
  }
  if (contextProcessors !== undefined) {
    if (!Array.isArray(contextProcessors)) {
      throw new TypeError(`definePlugin({ templates }): contextProcessors must be an array of functions, got ${describeValue(contextProcessors)}`);
    }
    contextProcessors.forEach((processor, i) => {
      if (typeof processor !== "function") throw new TypeError(`definePlugin({ templates }): contextProcessors[${i}] must be a function, got ${describeValue(processor)}`);
    });
  }
  return Object.freeze({
    ...(helpers === undefined ? {} : { helpers: Object.freeze({ ...helpers as TemplateOptions["helpers"] }) }),
    ...(contextProcessors === undefined ? {} : { contextProcessors: Object.freeze([...contextProcessors as NonNullable<TemplateOptions["contextProcessors"]>]) }),
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

