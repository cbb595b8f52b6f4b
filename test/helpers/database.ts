/**
 * The Postgres the database suites run against. They never skip: without DATABASE_URL they fail
 * at load, loudly, in CI and out of it.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { Logger } from "../../host/logger.ts";
import type { LogRecord } from "../../host/logger.ts";

/** DATABASE_URL, or a thrown error that says how to provide it. */
export function requireDatabaseUrl(suite: string): string {
  const url = process.env.DATABASE_URL;
  if (url !== undefined && url !== "") return url;
  if (process.env.CI === "true") {
    throw new Error(`${suite}: DATABASE_URL is not set, and CI=true: the database suites must run in CI. ` +
      "Set DATABASE_URL=postgres://postgres@127.0.0.1:5432/test (see .ci/run)");
  }
  throw new Error(`${suite}: DATABASE_URL is not set. These tests need a real Postgres; run them with ` +
    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/test (a superuser connection)");
}

/** A plugin name no other run uses: tests drop what they create, and runs can overlap. */
export function uniquePluginName(label: string): string {
  return `t${randomBytes(4).toString("hex")}-${label}`;
}

/** A logger that keeps its records for assertions instead of printing them. */
export function memoryLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  return { logger: new Logger({ level: "debug", sink: (_line, record) => records.push(record) }), records };
}

/** A small superuser pool on DATABASE_URL. */
export function adminPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on("error", () => undefined);
  return pool;
}
