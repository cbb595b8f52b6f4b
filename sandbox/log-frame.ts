/**
 * Turns a plugin's log record into a `log` frame, with its fields as JSON that never fails.
 *
 * @module
 */

import type { LogMessage } from "../schemas/messages.ts";
import type { LogFields, LogRecord } from "./sdk/types.ts";

/** The `log` frame (id 0) for `record`. */
export function toLogFrame(record: LogRecord): LogMessage {
  return {
    type: "log",
    id: 0,
    level: record.level,
    message: record.message,
    fieldsJson: fieldsToJson(record.fields),
    timeMs: record.timeMs,
  };
}

/**
 * Fields as a JSON object, "" for none. Errors keep their name, message and stack (JSON would make
 * them `{}`), bigints become strings, and fields that cannot be serialised (a cycle) are replaced
 * by a note saying so: a log call must never throw into the plugin's code.
 */
export function fieldsToJson(fields: LogFields | undefined): string {
  if (fields === undefined) return "";
  try {
    return JSON.stringify(fields, replacer) ?? "";
  } catch (error) {
    return JSON.stringify({ fieldsError: `the log fields could not be serialised: ${(error as Error).message}` });
  }
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return typeof value === "bigint" ? value.toString() : value;
}
