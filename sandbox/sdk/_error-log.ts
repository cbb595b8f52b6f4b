/**
 * Sends the errors a plugin's handlers throw to its log, while Hono still answers them.
 *
 * @module
 */

import { Hono } from "hono";
import type { Logger, PluginApp } from "./types.ts";

/** The slice of Hono's Context this module uses. */
export interface ErrorContext {
  readonly env?: unknown;
  readonly req: { readonly method: string; readonly path: string };
  text(text: string, status: 500): Response;
}

export type ErrorHandler = (error: Error, c: ErrorContext) => Response | Promise<Response>;

/**
 * Hono keeps its error handler in `errorHandler`, private in its types but a plain public field
 * at runtime (it is how `onError()` and `route()` work). It is the only place every handler error
 * passes through, so we wrap it there instead of replacing the plugin's own `onError()`.
 */
export interface ErrorHandlerHolder {
  errorHandler?: ErrorHandler;
}

/** Hono's default handler: `console.error(err)` and a 500 text answer. */
export const honoDefault: ErrorHandler | undefined = (new Hono() as unknown as ErrorHandlerHolder).errorHandler;

/**
 * Wraps `app`'s error handler so each handler error is logged (message and stack) to `log`. With
 * Hono's default handler the answer stays the same 500 "Internal Server Error" but the error goes
 * to the structured log instead of `console.error`; a plugin's own `onError()` still answers.
 * `HTTPException`s are deliberate answers, not failures, and are not logged. An app that is not
 * a Hono app is left alone.
 */
export function logHandlerErrors(app: PluginApp, log: Logger): void {
  const holder = app as unknown as ErrorHandlerHolder;
  const original = holder.errorHandler;
  if (typeof original !== "function") return;
  holder.errorHandler = (error, c) => {
    if ("getResponse" in error) return original.call(app, error, c);
    log.error(`${c.req.method} ${c.req.path} failed: ${error.message}`, {
      error: error.name,
      stack: error.stack,
    });
    return original === honoDefault ? c.text("Internal Server Error", 500) : original.call(app, error, c);
  };
}
