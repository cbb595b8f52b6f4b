/**
 * The plugin's entry points the host may call (`call` frames from the host), by method name.
 * Each SDK feature (hooks, events, extension points, commands, templates) adds its methods here.
 *
 * @module
 */

import type { PluginInternals } from "./_plugin-internals.ts";
import { invalidateTemplates } from "./templates/templates.ts";
import { contribute } from "./events/contribute.ts";
import { deliverEvent } from "./events/deliver.ts";
import { globalAfterRequest, globalBeforeRequest, globalTeardownRequest } from "./hooks/global.ts";
import { runCommand } from "./commands/run-command.ts";

/** Runs one host call for a plugin; a throw is answered with CORRAL_E_CALL_FAILED. */
export type PluginCallHandler = (plugin: PluginInternals, payload: unknown) => unknown;

/** Every entry point, by method. */
export const PLUGIN_CALLS: Readonly<Record<string, PluginCallHandler>> = Object.freeze({
  /** Answers with the plugin's name: lets the host check the call path end to end. */
  "corral.echo": (plugin: PluginInternals, payload: unknown) => ({ plugin: plugin.context.name, payload }),
  /** A template file changed: forget its compiled form (`{ paths }` or `{ all: true }`). */
  "templates.invalidate": (plugin: PluginInternals, payload: unknown) => invalidateTemplates(plugin.context.templates, payload),
  /** Runs the plugin's `events` handlers for one event (events/deliver.ts). */
  "events.deliver": deliverEvent,
  /** Answers an extension point's gathering with the plugin's `contributions` entry (events/contribute.ts). */
  "extensions.contribute": contribute,
  "hooks.beforeRequest": globalBeforeRequest,
  "hooks.afterRequest": globalAfterRequest,
  "hooks.teardownRequest": globalTeardownRequest,
  /** Runs one of the plugin's CLI commands (`npx corral run`); answers `{ exitCode, error? }`. */
  "commands.run": (plugin: PluginInternals, payload: unknown) => runCommand(plugin, payload),
});
