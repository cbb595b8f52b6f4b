/**
 * Loads the plugin an `init` frame names: imports its entry module, checks the default export,
 * runs its init hook. Every failure comes out as a `CorralError` with the code the host expects.
 *
 * @module
 */

import { CorralError, ErrorCode } from "../schemas/errors.ts";
import { messageOf } from "./error-message.ts";
import type { InitMessage } from "../schemas/messages.ts";
import { isPluginDefinition, type LogSink, parseConfig, type StartedPlugin, startPlugin } from "./sdk/_internal.ts";

/** Imports a module by URL; injected so tests can hand over modules without files. */
export type ImportModule = (url: string) => Promise<unknown>;

const dynamicImport: ImportModule = (url) => import(url);

/**
 * Starts the plugin of `init`, its logs going to `sink`. Rejects with `CORRAL_E_PROTOCOL_VIOLATION`
 * (configJson is not a JSON object), `CORRAL_E_INIT_FAILED` (the module failed to load or its init
 * hook threw; the message has the error's message, never its stack) or `CORRAL_E_ENTRY_INVALID`.
 */
export async function loadPlugin(
  init: InitMessage,
  sink: LogSink,
  importModule: ImportModule = dynamicImport,
): Promise<StartedPlugin> {
  const { entryUrl: entry, pluginName: name } = init;
  let config;
  try {
    config = parseConfig(init.configJson);
  } catch (error) {
    throw new CorralError(ErrorCode.PROTOCOL_VIOLATION, `init for plugin "${name}": ${messageOf(error)}`);
  }
  let module: unknown;
  try {
    module = await importModule(entry);
  } catch (error) {
    // Deno reports the denial of a dynamically imported file as a plain TypeError.
    const hint = messageOf(error).startsWith("Requires read access")
      ? " (a plugin process needs read access to its own folder: the host passes --allow-read=<plugin folder>)"
      : "";
    throw new CorralError(
      ErrorCode.INIT_FAILED,
      `Plugin "${name}" could not be loaded from ${entry}: ${messageOf(error)}${hint}`,
    );
  }
  const definition = (module as { default?: unknown }).default;
  if (!isPluginDefinition(definition)) {
    const found = definition === undefined
      ? "has no default export"
      : "default-exports something definePlugin() did not make";
    throw new CorralError(
      ErrorCode.ENTRY_INVALID,
      `The entry module of plugin "${name}" ${found}; default-export definePlugin({ app }) from ${entry}.`,
    );
  }
  try {
    return await startPlugin(definition, { name, version: init.pluginVersion, config, sink });
  } catch (error) {
    throw new CorralError(ErrorCode.INIT_FAILED, `The init hook of plugin "${name}" threw: ${messageOf(error)}`);
  }
}
