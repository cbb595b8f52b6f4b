/**
 * Hears other hosts' decisions: LISTEN on MANAGER_CHANNEL over a dedicated connection taken from
 * the admin pool. When that connection fails it is dropped and a new one is made (backing off up
 * to 5 s); after a reconnect the whole table is reconciled, since a NOTIFY sent while no one
 * listened is lost.
 */
import type pg from "pg";
import type { Logger } from "../logger.ts";
import { MANAGER_CHANNEL } from "./manager-store.ts";

export interface ChangeListenerOptions {
  /** A connection of its own, held while listening (e.g. `adminPool.connect()`). */
  readonly connect: () => Promise<pg.PoolClient>;
  readonly log: Logger;
  /** A plugin's decisions changed (the payload of the NOTIFY). */
  readonly onChange: (name: string) => void;
  /** Listening again after a lost connection: reconcile everything. */
  readonly onReconnect: () => void;
  readonly maxBackoffMs?: number;
}

export class ChangeListener {
  readonly #options: ChangeListenerOptions;
  #client: pg.PoolClient | undefined;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;

  constructor(options: ChangeListenerOptions) {
    this.#options = options;
  }

  /** Listens; resolves once LISTEN succeeded, or after the first failure (a retry is scheduled). */
  async start(): Promise<void> {
    await this.#listen(false);
  }

  async #listen(reconnecting: boolean): Promise<void> {
    if (this.#closed) return;
    let client: pg.PoolClient | undefined;
    try {
      client = await this.#options.connect();
      client.on("notification", (message) => {
        if (message.channel === MANAGER_CHANNEL && message.payload) this.#options.onChange(message.payload);
      });
      client.on("error", (error) => this.#lost(client!, error));
      await client.query(`LISTEN ${MANAGER_CHANNEL}`);
      if (this.#closed) {
        client.release(true);
        return;
      }
      this.#client = client;
      this.#failures = 0;
      if (reconnecting) {
        this.#options.log.info("listening for other hosts' plugin decisions again; reconciling all plugins");
        this.#options.onReconnect();
      }
    } catch (error) {
      if (client !== undefined) this.#lost(client, error as Error);
      else this.#retry(error as Error);
    }
  }

  #lost(client: pg.PoolClient, error: Error): void {
    if (this.#client === client) this.#client = undefined;
    client.removeAllListeners("notification");
    try {
      client.release(true);
    } catch {
      // already released
    }
    this.#retry(error);
  }

  #retry(error: Error): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#failures++;
    const delay = Math.min(100 * 2 ** (this.#failures - 1), this.#options.maxBackoffMs ?? 5000);
    this.#options.log.warn("lost the connection that hears other hosts' plugin decisions; reconnecting", { inMs: delay, error: error.message });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#listen(true);
    }, delay);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined) return;
    client.removeAllListeners("notification");
    await client.query(`UNLISTEN ${MANAGER_CHANNEL}`).catch(() => undefined);
    client.release();
  }
}
