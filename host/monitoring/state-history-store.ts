/**
 * Plugin state changes in the host database (corral.plugin_state_history), so they outlive a
 * host restart and several hosts' changes can be read side by side. Bounded: each plugin keeps
 * its last STATE_HISTORY_RETAINED rows.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { Kysely, PostgresDialect } from "kysely";
import type { Pool } from "pg";
import type { HostTables } from "../db/host-migrations/tables.ts";
import type { StateChange } from "./state-history.ts";

/** Rows kept per plugin; older ones are deleted as new ones arrive. */
export const STATE_HISTORY_RETAINED = 500;

/** One row as read back: the change plus the host that saw it. */
export interface StoredStateChange extends StateChange {
  readonly hostId: string;
}

/** This host process among several on one database: machine name, pid and a random suffix. */
export function newHostId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

export class StateHistoryStore {
  // Never destroyed: the pool belongs to the host.
  readonly #db: Kysely<HostTables>;
  readonly #hostId: string;
  readonly #retained: number;

  constructor(adminPool: Pool, hostId: string, retained = STATE_HISTORY_RETAINED) {
    this.#db = new Kysely<HostTables>({ dialect: new PostgresDialect({ pool: adminPool }) });
    this.#hostId = hostId;
    this.#retained = retained;
  }

  get hostId(): string {
    return this.#hostId;
  }

  async record(plugin: string, change: StateChange): Promise<void> {
    await this.#db.insertInto("corral.plugin_state_history").values({
      plugin, host_id: this.#hostId, at: change.at, from_state: change.from, to_state: change.to, reason: change.reason,
    }).execute();
    // Prune this plugin's rows beyond the newest `retained` (index on plugin, id).
    const cutoff = await this.#db.selectFrom("corral.plugin_state_history").select("id")
      .where("plugin", "=", plugin).orderBy("id", "desc").offset(this.#retained).limit(1).executeTakeFirst();
    if (cutoff !== undefined) {
      await this.#db.deleteFrom("corral.plugin_state_history").where("plugin", "=", plugin).where("id", "<=", cutoff.id).execute();
    }
  }

  /** The newest `limit` changes of a plugin on every host, oldest first. */
  async list(plugin: string, limit = 100): Promise<StoredStateChange[]> {
    const rows = await this.#db.selectFrom("corral.plugin_state_history").selectAll()
      .where("plugin", "=", plugin).orderBy("id", "desc").limit(limit).execute();
    return rows.reverse().map((row) => ({
      at: new Date(row.at).toISOString(), from: row.from_state, to: row.to_state,
      reason: row.reason, hostId: row.host_id,
    }));
  }
}
