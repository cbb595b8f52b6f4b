/**
 * Keeps one stray error in a plugin from killing the process, and every request in flight with it.
 *
 * @module
 */

import type { LogRecord } from "./sdk/types.ts";
import { messageOf } from "./error-message.ts";

/**
 * Logs uncaught exceptions and unhandled promise rejections to `report` instead of letting Deno
 * exit with code 1 (its default): the JavaScript state stays consistent after either, while a
 * crash would fail every request in flight and make the host restart the plugin.
 */
export function reportUncaught(report: (record: LogRecord) => void): void {
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    report(record("unhandled promise rejection", event.reason));
  });
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    report(record("uncaught exception", event.error));
  });
}

function record(what: string, error: unknown): LogRecord {
  const stack = error instanceof Error ? error.stack : undefined;
  return { level: "error", message: `${what}: ${messageOf(error)}`, fields: { stack }, timeMs: Date.now() };
}
