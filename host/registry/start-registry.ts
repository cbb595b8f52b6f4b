/**
 * Runs the registry: opens the Postgres (DATABASE_URL, or the embedded server in its data
 * folder, exactly as the host does), brings schema corral_registry up to date, and serves the
 * registry app. `corral registry` calls this; so do the tests.
 */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import { Kysely, PostgresDialect } from "kysely";
import { openHostDatabase } from "../db/connect.ts";
import type { Logger } from "../logger.ts";
import { migrateRegistry } from "./migrations.ts";
import { createRegistryApp } from "./registry-app.ts";
import type { RegistryTables } from "./tables.ts";
import { REGISTRY_SCHEMA } from "./migrations.ts";

export interface RegistryConfig {
  readonly port: number;
  readonly hostname: string;
  /** The Postgres to use; the embedded one in `dataDir` when missing. */
  readonly databaseUrl?: string;
  readonly dataDir: string;
  readonly logger: Logger;
}

export interface RunningRegistry {
  readonly url: string;
  readonly port: number;
  /** The registry's tables (account creation, tests). */
  readonly db: Kysely<RegistryTables>;
  close(): Promise<void>;
}

/** Opens the database and the registry's schema without serving (for `corral registry account`). */
export async function openRegistryDatabase(config: Pick<RegistryConfig, "databaseUrl" | "dataDir" | "logger">): Promise<{ db: Kysely<RegistryTables>; close(): Promise<void> }> {
  const database = await openHostDatabase({ ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}), dataDir: config.dataDir, logger: config.logger });
  try {
    await migrateRegistry(database.adminPool);
  } catch (error) {
    await database.close();
    throw error;
  }
  const db = new Kysely<RegistryTables>({ dialect: new PostgresDialect({ pool: database.adminPool }) }).withSchema(REGISTRY_SCHEMA);
  // Not db.destroy(): that would end the pool twice; the database owns it.
  return { db, close: () => database.close() };
}

export async function startRegistry(config: RegistryConfig): Promise<RunningRegistry> {
  const log = config.logger;
  const { db, close: closeDatabase } = await openRegistryDatabase(config);
  const app = createRegistryApp({
    db,
    onEvent: (event, fields) => log.info(`registry ${event}`, fields),
  });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.hostname, () => resolve());
    });
  } catch (error) {
    await closeDatabase();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.hostname === "0.0.0.0" ? "127.0.0.1" : config.hostname}:${port}`;
  log.info("registry listening", { url, browse: `${url}/`, api: `${url}/api/plugins` });
  let closing: Promise<void> | undefined;
  return {
    url, port, db,
    close: () => closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await closeDatabase();
    })(),
  };
}
