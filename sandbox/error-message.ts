/**
 * The one way the runner turns a thrown value into text for the host: its message, never its stack.
 *
 * @module
 */

/** The message of a thrown value (`String(value)` for non-errors), without its stack. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
