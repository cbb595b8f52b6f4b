/** How many connections a plugin's pool gets, and the role's CONNECTION LIMIT that goes with it. */

/** Pool size when the plugin asks for none. */
export const DEFAULT_POOL_SIZE = 5;
/** The host's ceiling on one plugin's pool unless the operator sets another. */
export const MAX_POOL_SIZE = 20;
/**
 * Extra connections the role may open beyond its pool: a connection the host has just destroyed
 * can still count against the limit for a moment while its backend exits.
 */
export const CONNECTION_LIMIT_HEADROOM = 2;

/**
 * The pool size for a plugin: what it asked for, capped by the host's maximum, 5 when it asked
 * for nothing. Small on purpose: every connection is a Postgres process, and a plugin waits in
 * its own pool's queue rather than crowding the server.
 *
 * @throws RangeError when a size is not a whole number >= 1.
 *
 * @example
 * ```ts
 * resolvePoolSize(undefined); // 5
 * resolvePoolSize(50);        // 20
 * ```
 */
export function resolvePoolSize(requested: number | undefined, hostMax: number = MAX_POOL_SIZE): number {
  for (const [name, value] of [["requested pool size", requested], ["host maximum pool size", hostMax]] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
      throw new RangeError(`${name} must be a whole number >= 1, got ${JSON.stringify(value)}`);
    }
  }
  return Math.min(requested ?? DEFAULT_POOL_SIZE, hostMax);
}

/**
 * The CONNECTION LIMIT to give a role whose pool has `poolSize` connections: two pools, because
 * during a swap (restart, version switch, reload: host/manager/) the old deployment drains its
 * requests on its own pool while the new one serves on its own, each up to `poolSize`; plus the
 * headroom. The plugin cannot open connections itself (no network grant reaches the server), so
 * the pools' sizes stay the real bound; this limit is the backstop.
 */
export function connectionLimitFor(poolSize: number): number {
  return 2 * poolSize + CONNECTION_LIMIT_HEADROOM;
}
