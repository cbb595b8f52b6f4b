/** Turns ajv validation errors and JSON syntax errors into one readable line per problem. */
import type { ErrorObject } from "ajv/dist/2020.js";

/**
 * The schema annotation that words what a field expects ("a semver version like \"1.2.3\"").
 * Schemas carry it so messages are written once, next to the rule they explain.
 */
export const EXPECTED_KEYWORD = "x-expected";

/**
 * One line per problem, like `/version: expected a semver version like "1.2.3", got "one"`.
 *
 * Needs errors from an ajv instance created with `verbose: true` (for the offending value and
 * the failing schema) and `allErrors: true` (to report every problem at once). Duplicate lines
 * are dropped; the order is ajv's, which follows the document.
 *
 * @example
 * ```ts
 * if (!validate(data)) throw new Error(formatValidationErrors(validate.errors ?? []).join("\n"));
 * ```
 */
export function formatValidationErrors(errors: readonly ErrorObject[]): string[] {
  const lines: string[] = [];
  for (const error of errors) {
    const line = formatOne(error);
    if (line !== null && !lines.includes(line)) lines.push(line);
  }
  return lines;
}

function formatOne(error: ErrorObject): string | null {
  const path = error.instancePath === "" ? "/" : error.instancePath;
  const parent = asRecord(error.parentSchema);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required": {
      const field = String(params.missingProperty);
      const expected = expectation(asRecord(asRecord(parent?.properties)?.[field]));
      return `${path}: missing required field "${field}"${expected === null ? "" : ` (${expected})`}`;
    }
    case "additionalProperties": {
      const field = String(params.additionalProperty);
      const allowed = Object.keys(asRecord(parent?.properties) ?? {});
      return `${path}: unknown field "${field}"` + (allowed.length > 0 ? ` (allowed: ${allowed.join(", ")})` : "");
    }
    case "uniqueItems": {
      const items = Array.isArray(error.data) ? error.data : [];
      const first = Math.min(Number(params.i), Number(params.j)), second = Math.max(Number(params.i), Number(params.j));
      return `${path}: duplicate entry ${quote(items[first])} (items ${first} and ${second})`;
    }
    case "propertyNames":
      // ajv reports the failing key's own error too (with `propertyName` set); that one is clearer.
      return null;
    default: {
      const expected = expectation(parent) ?? fallbackExpectation(error);
      if (error.propertyName !== undefined) {
        return `${path}: key ${quote(error.propertyName)}: expected ${expected}`;
      }
      return `${path}: expected ${expected}, got ${quote(error.data)}`;
    }
  }
}

function expectation(schema: Record<string, unknown> | undefined): string | null {
  const text = schema?.[EXPECTED_KEYWORD];
  return typeof text === "string" ? text : null;
}

/** Words ajv's own rule when the schema gave no x-expected. */
function fallbackExpectation(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "type": return `${article(String(params.type))} ${String(params.type).replaceAll(",", " or ")}`;
    case "enum": return `one of ${(params.allowedValues as unknown[]).map(quote).join(", ")}`;
    case "const": return quote(params.allowedValue);
    case "format": return `a valid ${String(params.format)}`;
    default: return error.message ?? `to pass "${error.keyword}"`;
  }
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? "an" : "a";
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

/** JSON-quotes a value for a message, shortened so one huge value cannot flood the log. */
export function quote(value: unknown): string {
  const text = value === undefined ? "nothing" : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Words a `JSON.parse` failure with the line and column it happened at (1-based), which V8's
 * message on Node 20 gives only as a character offset.
 *
 * @example
 * ```ts
 * describeJsonSyntaxError('{\n  "a": 1,\n}', err) // 'line 3, column 1: Expected double-quoted property name in JSON at position 12'
 * ```
 */
export function describeJsonSyntaxError(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lineCol = /line (\d+) column (\d+)/.exec(message);
  if (lineCol !== null) return `line ${lineCol[1]}, column ${lineCol[2]}: ${message}`;
  const position = /position (\d+)/.exec(message);
  const offset = position !== null ? Number(position[1]) : text.length;
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - (before.lastIndexOf("\n") + 1) + 1;
  return `line ${line}, column ${column}: ${message}`;
}
