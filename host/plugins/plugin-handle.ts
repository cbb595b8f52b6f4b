/**
 * A running plugin as the rest of the host sees it: the routes, hooks, events, templates and the
 * admin API talk to this, never to a process. A `Supervisor` (one process) is one; a pool of
 * instances, or the manager's active deployment of a plugin, is another. Keeping the seam narrow
 * lets the manager swap what stands behind a name (a new version, a reloaded folder) while
 * requests keep arriving.
 */
import type { MigrateAction, ResponseMessage } from "../../schemas/messages.ts";
import type { Manifest } from "../manifest/manifest.ts";
import type { Grants } from "../permission-flags.ts";
import type { ForwardRequest, PluginHealth, PluginState } from "../supervisor.ts";

export interface PluginHandle {
  readonly name: string;
  readonly version: string;
  /** The plugin's manifest, with defaults applied. */
  readonly manifest: Manifest;
  /** The plugin's folder (real path). */
  readonly dir: string;
  readonly state: PluginState;
  readonly grants: Grants;
  /** The V8 inspector's WebSocket URL while debugging is on (docs/health-and-profiling.md). */
  readonly inspectorUrl?: string | undefined;
  /** Starts the plugin; resolves when it is ready or its first start failed. */
  start(): Promise<void>;
  /**
   * Forwards one request.
   *
   * @throws {CorralError} PLUGIN_FAILED, PLUGIN_UNAVAILABLE (with `retryAfterSeconds`),
   * REQUEST_TIMEOUT, PLUGIN_CRASHED, HANDLER_FAILED, SHUTTING_DOWN.
   */
  handle(request: ForwardRequest): Promise<ResponseMessage>;
  /** Calls one of the plugin's entry points; PLUGIN_UNAVAILABLE at once when it is not ready. */
  call(method: string, payload: unknown, timeoutMs: number): Promise<unknown>;
  /** Reports, applies or undoes the plugin's migrations (operator action). */
  migrate(action: MigrateAction, timeoutMs?: number): Promise<unknown>;
  /** Stops the plugin: shutdown hook first, then a kill after `deadlineMs`. */
  stop(reason: string, deadlineMs: number): Promise<void>;
  health(): PluginHealth;
}

/** Finds the running plugin behind a name, or undefined. */
export type PluginLookup = (name: string) => PluginHandle | undefined;
