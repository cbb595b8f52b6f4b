/**
 * Types the SDK's internals share: the host's services as the SDK reaches them, and what a
 * feature (hooks, events, extension points...) is given to serve a host call for a plugin.
 *
 * @module
 */

import type { PluginContext, PluginDefinition } from "./types.ts";

/** The host's services (events, extension points, cache...), as the SDK reaches them. */
export interface HostServices {
  /**
   * Runs a host service method; resolves with its JSON result (null for none).
   * @throws CorralError with the host's code (CORRAL_E_CALL_DENIED when the manifest does not grant it...).
   */
  call(method: string, payload: unknown): Promise<unknown>;
}

/** What the SDK's features need to serve a host call for a plugin. */
export interface PluginInternals {
  readonly definition: PluginDefinition;
  readonly context: PluginContext;
  readonly host: HostServices;
}
