/**
 * Loads the plugin an `init` frame names: imports its entry module, checks the default export,
 * opens its database and applies its migrations, runs its init hook. Every failure comes out as
 * a `CorralError` with the code the host expects.
 *
 * @module
 */

import { CorralError, ErrorCode } from "../schemas/errors.ts";
import { messageOf } from "./error-message.ts";
import type { InitMessage } from "../schemas/messages.ts";
import { type HostServices, isPluginDefinition, type LogSink, parseConfig, type StartedPlugin, startPlugin } from "./sdk/_internal.ts";
import type { DatabaseLink } from "./sdk/db/link.ts";
import { MigrationError } from "./sdk/db/migration-error.ts";

/** Imports a module by URL; injected so tests can hand over modules without files. */
export type ImportModule = (url: string) => Promise<unknown>;

const dynamicImport: ImportModule = (url) => import(url);

/**
 * Starts the plugin of `init`, its logs going to `sink`, its database (when the host enabled the
 * "database" feature) reached through `database`. Rejects with `CORRAL_E_PROTOCOL_VIOLATION`
 * (configJson is not a JSON object), `CORRAL_E_INIT_FAILED` (the module failed to load or its init
 * hook threw; the message has the error's message, never its stack), `CORRAL_E_ENTRY_INVALID`, or
 * `CORRAL_E_MIGRATION_FAILED` (a migration failed: the `MigrationError` is the `cause`; or the
 * plugin has migrations but no database).
 */
export async function loadPlugin(
  init: InitMessage,
  sink: LogSink,
  importModule: ImportModule = dynamicImport,
  database?: DatabaseLink,
  host?: HostServices,
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
    throw new CorralError(
      ErrorCode.INIT_FAILED,
      `Plugin "${name}" could not be loaded from ${entry}: ${messageOf(error)}`,
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
  const hasMigrations = Object.keys(definition.migrations ?? {}).length > 0;
  if (hasMigrations && database === undefined) {
    throw new CorralError(
      ErrorCode.MIGRATION_FAILED,
      `Plugin "${name}" defines migrations but has no database: add "database": true to its plugin.json.`,
    );
  }
  // Loaded on demand: Kysely costs a plugin without a database ~20-30 ms of start for nothing.
  const db = database === undefined ? undefined : (await import("./sdk/db/open.ts")).openDatabase<unknown>(database);
  try {
    return await startPlugin(definition, {
      name, version: init.pluginVersion, config, sink, database: db, ...(host === undefined ? {} : { host }),
      mountPath: init.mountPath,
    });
  } catch (error) {
    if (error instanceof MigrationError) {
      throw new CorralError(ErrorCode.MIGRATION_FAILED, `Plugin "${name}": ${error.message}`, { cause: error });
    }
    throw new CorralError(ErrorCode.INIT_FAILED, `The init hook of plugin "${name}" threw: ${messageOf(error)}`);
  }
}
