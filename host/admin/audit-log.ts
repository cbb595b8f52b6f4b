/**
 * The audit log (corral.audit_log): one row per change made through the admin API or the
 * dashboard, per login and per failed login. Rows are written by the admin router (every route
 * that is not GET) and by the login handler; never with a password or a token in them.
 */
import { Kysely, PostgresDialect } from "kysely";
import type pg from "pg";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { HostTables } from "../db/host-migrations/tables.ts";

export interface AuditEntry {
  /** Who: a user name, "bootstrap", "token:<name> (<id>)"; null when nobody was authenticated. */
  readonly actor: string | null;
  readonly role: string | null;
  /** Method and route pattern, e.g. "POST /admin/plugins/:name/disable", or "login". */
  readonly action: string;
  readonly plugin: string | null;
  readonly details: Readonly<Record<string, unknown>>;
  /** The HTTP status answered. */
  readonly status: number;
  readonly address: string | null;
  readonly requestId: string | null;
}

export interface AuditRecord extends AuditEntry {
  readonly id: string;
  readonly at: string;
}

export interface AuditQuery {
  /** Rows older than this id (the previous page's `next`). */
  readonly before?: string;
  readonly limit?: number;
  readonly actor?: string;
  readonly plugin?: string;
  /** A substring of the action, e.g. "disable" or "login". */
  readonly action?: string;
  /** "ok" (status < 400) or "failed" (status >= 400). */
  readonly outcome?: "ok" | "failed";
  readonly since?: Date;
}

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 500;

/** Where audit entries go; the router depends on this, not on Postgres. */
export interface AuditSink {
  record(entry: AuditEntry): Promise<void>;
}

export class AuditLog implements AuditSink {
  readonly #db: Kysely<HostTables>;

  constructor(adminPool: pg.Pool) {
    this.#db = new Kysely<HostTables>({ dialect: new PostgresDialect({ pool: adminPool }) });
  }

  async record(entry: AuditEntry): Promise<void> {
    await this.#db.insertInto("corral.audit_log").values({
      actor: entry.actor, role: entry.role, action: entry.action, plugin: entry.plugin,
      details: JSON.stringify(entry.details), status: entry.status, address: entry.address, request_id: entry.requestId,
    }).execute();
  }

  /** Newest first; `next` is the `before` of the following page, null on the last one. */
  async list(query: AuditQuery = {}): Promise<{ entries: AuditRecord[]; next: string | null }> {
    const limit = query.limit ?? AUDIT_PAGE_DEFAULT;
    let select = this.#db.selectFrom("corral.audit_log").selectAll().orderBy("id", "desc").limit(limit + 1);
    if (query.before !== undefined) select = select.where("id", "<", query.before);
    if (query.actor !== undefined) select = select.where("actor", "=", query.actor);
    if (query.plugin !== undefined) select = select.where("plugin", "=", query.plugin);
    if (query.action !== undefined) select = select.where("action", "ilike", `%${query.action.replace(/[\\%_]/g, "\\$&")}%`);
    if (query.outcome === "ok") select = select.where("status", "<", 400);
    if (query.outcome === "failed") select = select.where("status", ">=", 400);
    if (query.since !== undefined) select = select.where("at", ">=", query.since);
    const rows = await select.execute();
    const page = rows.slice(0, limit);
    return {
      entries: page.map((row) => ({
        id: String(row.id), at: row.at.toISOString(), actor: row.actor, role: row.role, action: row.action, plugin: row.plugin,
        details: row.details, status: row.status, address: row.address, requestId: row.request_id,
      })),
      next: rows.length > limit ? String(page.at(-1)!.id) : null,
    };
  }
}

/** Reads `GET /admin/audit`'s query string, refusing bad values by name. */
export function parseAuditQuery(params: Readonly<Record<string, string | undefined>>): AuditQuery {
  const bad = (field: string, expected: string) =>
    new CorralError(ErrorCode.OPERATION_INVALID, `?${field}= must be ${expected}, got ${JSON.stringify(params[field])}`);
  const query: { -readonly [K in keyof AuditQuery]: AuditQuery[K] } = {};
  if (params.limit !== undefined) {
    const limit = Number(params.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_PAGE_MAX) throw bad("limit", `a whole number from 1 to ${AUDIT_PAGE_MAX}`);
    query.limit = limit;
  }
  if (params.before !== undefined) {
    if (!/^\d{1,18}$/.test(params.before)) throw bad("before", "an entry id (the previous page's next)");
    query.before = params.before;
  }
  if (params.since !== undefined) {
    const since = new Date(params.since);
    if (Number.isNaN(since.getTime())) throw bad("since", "an ISO 8601 time, e.g. 2026-11-25T10:00:00Z");
    query.since = since;
  }
  if (params.outcome !== undefined) {
    if (params.outcome !== "ok" && params.outcome !== "failed") throw bad("outcome", `"ok" or "failed"`);
    query.outcome = params.outcome;
  }
  for (const field of ["actor", "plugin", "action"] as const) {
    const value = params[field];
    if (value !== undefined && value !== "") query[field] = value.slice(0, 200);
  }
  return query;
}

/** Body and query fields whose values never reach the audit log. */
const SECRET_FIELD = /pass|token|secret|_csrf|authorization|cookie/i;
const MAX_DETAIL_CHARS = 500;

/**
 * What of a request is worth keeping: its query and body fields, with secrets replaced by
 * "[redacted]" and long values cut. Nested objects are kept to one level.
 */
export function auditDetails(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields).slice(0, 30)) {
    if (SECRET_FIELD.test(key)) out[key] = "[redacted]";
    else if (typeof value === "string") out[key] = value.length > MAX_DETAIL_CHARS ? value.slice(0, MAX_DETAIL_CHARS) + "…" : value;
    else if (typeof value === "number" || typeof value === "boolean" || value === null) out[key] = value;
    else if (typeof value === "object") {
      const text = JSON.stringify(value, (k, v: unknown) => (k !== "" && SECRET_FIELD.test(k) ? "[redacted]" : v));
      out[key] = text.length > MAX_DETAIL_CHARS ? text.slice(0, MAX_DETAIL_CHARS) + "…" : JSON.parse(text);
    }
  }
  return out;
}
