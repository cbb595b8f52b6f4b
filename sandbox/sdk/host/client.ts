/**
 * `ctx.host`: the plugin's side of the host services granted by the manifest's `host` field.
 *
 * @module
 */

import type { HostServices } from "../_plugin-internals.ts";
import type { HostAccess, HostHealth } from "./types.ts";

/** The method `ctx.host.health()` calls (host/services/host-health-service.ts answers it). */
export const HOST_HEALTH_METHOD = "host.health";

/** The host access a plugin reaches through `host`. */
export function createHostAccess(host: HostServices): HostAccess {
  return Object.freeze({
    async health(): Promise<HostHealth> {
      return await host.call(HOST_HEALTH_METHOD, null) as HostHealth;
    },
  });
}
