/**
 * How the SDK's misuse errors quote a value they did not expect: short, and never the value of
 * an object (which may be large or hold secrets).
 *
 * @module
 */

/** `null`, `undefined`, "an array", "an object", "a function", a string quoted (60 characters at most), or the value. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "function") return "a function";
  return typeof value === "string" ? JSON.stringify(value.slice(0, 60)) : String(value);
}
