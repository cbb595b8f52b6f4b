/** One plugin's own connection pool, logged in as the plugin's role: runs the SQL its process sends. */
import pg from "pg";
import type { Pool, PoolClient, QueryConfig } from "pg";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { QueryMessage, QueryResultMessage, TransactionMessage } from "../../schemas/messages.ts";
import { decodeSqlValues, encodeRows } from "../../schemas/sql-values.ts";
import type { Logger } from "../logger.ts";
import type { ConnectionInfo } from "./connect.ts";
import type { QueryObserver } from "./query-observer.ts";
import { DatabaseError, isPostgresError } from "./database-error.ts";
import { survivePoolErrors } from "./pool-errors.ts";

/** A `query` message's payload. */
export type QueryRequest = Pick<QueryMessage, "sql" | "paramsJson" | "transactionId" | "traceparent">;
/** A `transaction` message's payload. */
export type TransactionRequest = Pick<TransactionMessage, "action" | "transactionId">;
/** A `queryResult` message's payload. */
export type QueryReply = Omit<QueryResultMessage, "type" | "id">;

/** How a plugin's pool behaves. */
export interface PluginDatabaseOptions {
  /** Connections in the pool (see resolvePoolSize); the role's CONNECTION LIMIT must allow them. */
  readonly poolSize: number;
  /** Statements running or waiting for a connection, beyond which new ones are refused. Default 100. */
  readonly maxConcurrentQueries?: number;
  /** A statement slower than this is logged as a warning with its SQL. Default 1000 ms. */
  readonly slowQueryMs?: number;
  /** How long a statement may wait for a free connection. Default 10 000 ms. */
  readonly connectionTimeoutMs?: number;
  /**
   * The host's own ceiling on one statement, enforced with pg_cancel_backend through `adminPool`.
   * The role's statement_timeout is only a default the plugin can `SET` away; this is not.
   * Default 60 000 ms; 0 turns it off.
   */
  readonly queryTimeoutMs?: number;
  /**
   * An administrator pool, used only to end this role's backends: statements over
   * `queryTimeoutMs`, and work abandoned by `releaseAll`. Without it, abandoned connections are
   * closed and Postgres notices when the running statement ends.
   */
  readonly adminPool?: Pool;
  /** Bound to the plugin (logger.forPlugin). */
  readonly logger: Logger;
  /** Told about every statement (metrics, traces: host/metrics/); none when missing. */
  readonly observer?: QueryObserver;
}

/** Counters for metrics and /health. */
export interface PluginDatabaseStats {
  readonly queries: number;
  readonly errors: number;
  readonly totalDurationMs: number;
  readonly slowQueries: number;
  readonly openTransactions: number;
  /** Statements running or waiting, as counted against maxConcurrentQueries. */
  readonly inFlight: number;
  readonly poolTotal: number;
  readonly poolIdle: number;
  readonly poolWaiting: number;
}

/**
 * Whose work a connection carries: one plugin process (see `PluginDatabase.session`), or the
 * pool's own default session. `releaseAll` ends one session's work and no other's.
 */
interface SessionState {
  readonly label: string;
  /** Bumped by each releaseAll of this session: its older work must not continue. */
  generation: number;
  releaseReason: string;
}

/** One process's view of the plugin's database: its own transactions, released on its own. */
export interface PluginDatabaseSession {
  query(request: QueryRequest): Promise<QueryReply>;
  transaction(request: TransactionRequest): Promise<QueryReply>;
  /** Rolls back this session's transactions and cancels its statements; other sessions are untouched. */
  releaseAll(reason: string): Promise<void>;
  /** The pool's description (shared by all sessions). */
  describe(): object;
}

/** A checked-out connection and what is happening on it. */
interface Lease {
  readonly client: PoolClient;
  readonly owner: SessionState;
  /** The backend's pid, to cancel or end it from the admin pool. */
  readonly pid: number | undefined;
  /** releaseAll generation at checkout: work from before a releaseAll must not continue. */
  readonly generation: number;
  readonly onError: (error: Error) => void;
  /** Statements sent and not yet answered. */
  active: number;
  /** Set when the connection failed: it is destroyed instead of going back to the pool. */
  broken: Error | undefined;
  released: boolean;
  /** A pg_cancel_backend in progress: the connection is not reused before it has landed. */
  cancelling: Promise<void> | undefined;
  cancelledByHost: boolean;
}

/** pg runs a query through the extended protocol (Parse/Bind/Execute) when told so. */
type ExtendedQueryConfig = QueryConfig<unknown[]> & { readonly queryMode: "extended" };

const SQL_IN_LOG = 500;
const UINT32_MAX = 0xffff_ffff;

/**
 * Runs a plugin's SQL on a pool that logs in as the plugin's own role, never as the
 * administrator, so Postgres itself enforces the plugin's isolation.
 *
 * Every statement goes through the extended query protocol, which takes exactly one statement:
 * `SELECT 1; SELECT 2` fails with SQLSTATE 42601 instead of running twice. Parameters and rows use
 * the typed-value JSON of schemas/sql-values.ts.
 *
 * @example
 * ```ts
 * const db = new PluginDatabase(host.connectionInfo, "plugin_notes", password, { poolSize: 5, logger, adminPool });
 * const { transactionId } = await db.transaction({ action: "begin", transactionId: 0 });
 * await db.query({ sql: "INSERT INTO notes (body) VALUES ($1)", paramsJson: '["hi"]', transactionId });
 * await db.transaction({ action: "commit", transactionId });
 * ```
 */
export class PluginDatabase {
  readonly #role: string;
  readonly #pool: Pool;
  readonly #poolSize: number;
  readonly #logger: Logger;
  readonly #adminPool: Pool | undefined;
  readonly #maxConcurrent: number;
  readonly #slowQueryMs: number;
  readonly #queryTimeoutMs: number;
  readonly #connectionTimeoutMs: number;
  readonly #observer: QueryObserver | undefined;
  readonly #leases = new Set<Lease>();
  readonly #transactions = new Map<number, Lease>();
  #lastTransactionId = 0;
  #inFlight = 0;
  readonly #defaultSession: SessionState = { label: "default", generation: 0, releaseReason: "" };
  #closed = false;
  #queries = 0;
  #errors = 0;
  #totalDurationMs = 0;
  #slowQueries = 0;

  /**
   * @param connectionInfo Where the admin is connected (HostDatabase.connectionInfo).
   * @param role The plugin's role, from provisionPluginDatabase.
   * @param password The role's password, from pluginDatabasePassword.
   */
  constructor(connectionInfo: ConnectionInfo, role: string, password: string, options: PluginDatabaseOptions) {
    this.#role = role;
    this.#poolSize = positive(options.poolSize, "poolSize");
    this.#logger = options.logger;
    this.#adminPool = options.adminPool;
    this.#maxConcurrent = positive(options.maxConcurrentQueries ?? 100, "maxConcurrentQueries");
    this.#slowQueryMs = options.slowQueryMs ?? 1000;
    this.#queryTimeoutMs = options.queryTimeoutMs ?? 60_000;
    this.#connectionTimeoutMs = options.connectionTimeoutMs ?? 10_000;
    this.#observer = options.observer;
    this.#pool = new pg.Pool({
      host: connectionInfo.host,
      port: connectionInfo.port,
      database: connectionInfo.database,
      ssl: connectionInfo.ssl,
      user: role,
      password,
      max: this.#poolSize,
      connectionTimeoutMillis: this.#connectionTimeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: `corral:${role}`,
    });
    survivePoolErrors(this.#pool, (error) => this.#logger.warn("an idle database connection failed", { role, error: error.message }));
  }

  /** The role this pool logs in as. */
  get role(): string {
    return this.#role;
  }

  /**
   * Runs one statement: on any pooled connection (`transactionId` 0) or on the connection of
   * an open transaction.
   *
   * @throws DatabaseError (CORRAL_E_DB_QUERY, with `sqlState`) when Postgres refuses it;
   *   CorralError DB_TRANSACTION_UNKNOWN for a transaction that is not open,
   *   DB_TOO_MANY_QUERIES over the cap, DB_UNAVAILABLE when no connection can be had,
   *   DB_QUERY_FAILED when `paramsJson` is not a JSON array of typed values.
   */
  query(request: QueryRequest): Promise<QueryReply> {
    return this.#observed(this.#defaultSession, request);
  }

  /**
   * A session for one plugin process: its transactions are its own (another session's ids are
   * DB_TRANSACTION_UNKNOWN to it) and its `releaseAll` ends only its own work, so one instance's
   * death never rolls back another instance's transactions. Sessions share the pool and its limits.
   */
  session(label: string): PluginDatabaseSession {
    const state: SessionState = { label, generation: 0, releaseReason: "" };
    return {
      query: (request) => this.#observed(state, request),
      transaction: (request) => this.#transactionStep(state, request),
      releaseAll: (reason) => this.#releaseSession(state, reason),
      describe: () => this.describe(),
    };
  }

  async #observed(owner: SessionState, request: QueryRequest): Promise<QueryReply> {
    if (this.#observer === undefined) return await this.#query(owner, request);
    const done = this.#observer.started(request.sql, request.traceparent);
    try {
      const reply = await this.#query(owner, request);
      done();
      return reply;
    } catch (error) {
      done(error instanceof DatabaseError ? error.sqlState || error.code : error instanceof CorralError ? error.code : ErrorCode.DB_UNAVAILABLE);
      throw error;
    }
  }

  async #query(owner: SessionState, request: QueryRequest): Promise<QueryReply> {
    const params = decodeParams(request.paramsJson);
    this.#admit();
    try {
      if (request.transactionId === 0) {
        const lease = await this.#checkout(owner);
        try {
          return await this.#execute(lease, request.sql, params);
        } finally {
          await this.#checkin(lease);
        }
      }
      return await this.#execute(this.#transaction(owner, request.transactionId), request.sql, params);
    } finally {
      this.#inFlight--;
    }
  }

  /**
   * Begins, commits or rolls back a transaction. `begin` holds one pooled connection until the
   * transaction ends and answers with the new id in `transactionId`. A commit of a transaction in
   * which a statement failed answers command "ROLLBACK", as Postgres does.
   *
   * @throws CorralError DB_TRANSACTION_UNKNOWN for commit/rollback of a transaction that is not
   *   open; DatabaseError when Postgres refuses (e.g. a deferred constraint at commit).
   */
  transaction(request: TransactionRequest): Promise<QueryReply> {
    return this.#transactionStep(this.#defaultSession, request);
  }

  async #transactionStep(owner: SessionState, request: TransactionRequest): Promise<QueryReply> {
    if (request.action === "begin") return await this.#begin(owner);
    const lease = this.#transaction(owner, request.transactionId);
    // Forgotten first, so that nothing else runs in it while it ends.
    this.#transactions.delete(request.transactionId);
    try {
      if (lease.cancelling !== undefined) await lease.cancelling;
      if (lease.broken !== undefined) {
        // The session is gone, and with it the transaction: a rollback has nothing left to do.
        if (request.action === "rollback") return { rowsJson: "[]", rowCount: -1, command: "ROLLBACK", transactionId: request.transactionId };
        throw lease.broken;
      }
      const result = await lease.client.query(request.action === "commit" ? "COMMIT" : "ROLLBACK");
      return { rowsJson: "[]", rowCount: -1, command: result.command ?? request.action.toUpperCase(), transactionId: request.transactionId };
    } catch (error) {
      throw this.#failure(error, lease);
    } finally {
      await this.#checkin(lease);
    }
  }

  /**
   * Abandons everything the plugin has open, for when its process died or was stopped: every
   * open transaction is rolled back and every statement still running is cancelled, by ending
   * those backends (through the admin pool) and destroying their connections. Session state the
   * plugin left on them (session advisory locks, such as Kysely's migration lock) goes with them.
   * Statements waiting for a connection fail with DB_UNAVAILABLE. The pool stays open for the
   * plugin's next process.
   */
  releaseAll(reason: string): Promise<void> {
    return this.#releaseSession(this.#defaultSession, reason);
  }

  async #releaseSession(owner: SessionState | "all", reason: string): Promise<void> {
    const mine = (lease: Lease) => owner === "all" || lease.owner === owner;
    for (const session of owner === "all" ? this.#sessions() : [owner]) {
      session.generation++;
      session.releaseReason = reason;
    }
    // Open transactions, and connections with a statement in flight. A connection between two
    // steps is left to its caller, which sees the new generation and gives it back.
    const doomed = new Set<Lease>();
    for (const [id, lease] of this.#transactions) {
      if (!mine(lease)) continue;
      doomed.add(lease);
      this.#transactions.delete(id);
    }
    const transactions = doomed.size;
    for (const lease of this.#leases) if (lease.active > 0 && mine(lease)) doomed.add(lease);
    if (doomed.size === 0) return;
    const pids = [...doomed].map((lease) => lease.pid).filter((pid): pid is number => pid !== undefined);
    if (this.#adminPool !== undefined && pids.length > 0) {
      try {
        // The timeout makes Postgres wait until the backends are really gone (Postgres 13+).
        await this.#adminPool.query(
          "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE pid = ANY($1::int[]) AND usename = $2",
          [pids, this.#role],
        );
      } catch (error) {
        this.#logger.warn("could not end the database sessions of a released plugin", { role: this.#role, error: (error as Error).message });
      }
    } else {
      // Without the admin pool: roll back what is idle now; the rest ends when its statement does.
      await Promise.all([...doomed].filter((lease) => lease.active === 0).map((lease) => lease.client.query("ROLLBACK").catch(() => undefined)));
    }
    for (const lease of doomed) this.#release(lease, new Error(`released: ${reason}`));
    this.#logger.info("released the plugin's database work", {
      role: this.#role, session: owner === "all" ? "all" : owner.label, reason, transactions, connections: doomed.size,
    });
  }

  /** Every session with a connection or a transaction now, and the default one. */
  #sessions(): Set<SessionState> {
    const sessions = new Set<SessionState>([this.#defaultSession]);
    for (const lease of this.#leases) sessions.add(lease.owner);
    for (const lease of this.#transactions.values()) sessions.add(lease.owner);
    return sessions;
  }

  /** Counters since the pool opened, and the pool's state now. */
  /** Role, pool size and counters, as /health shows them. */
  describe(): { role: string; poolSize: number } & PluginDatabaseStats {
    return { role: this.#role, poolSize: this.#poolSize, ...this.stats() };
  }

  stats(): PluginDatabaseStats {
    return {
      queries: this.#queries,
      errors: this.#errors,
      totalDurationMs: Math.round(this.#totalDurationMs * 1000) / 1000,
      slowQueries: this.#slowQueries,
      openTransactions: this.#transactions.size,
      inFlight: this.#inFlight,
      poolTotal: this.#pool.totalCount,
      poolIdle: this.#pool.idleCount,
      poolWaiting: this.#pool.waitingCount,
    };
  }

  /** Releases everything (as releaseAll) and ends the pool. Further calls fail with DB_UNAVAILABLE. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#releaseSession("all", "the database pool is closing");
    await this.#pool.end();
  }

  async #begin(owner: SessionState): Promise<QueryReply> {
    this.#admit();
    try {
      const lease = await this.#checkout(owner);
      try {
        await lease.client.query("BEGIN");
      } catch (error) {
        const failure = this.#failure(error, lease);
        await this.#checkin(lease);
        throw failure;
      }
      if (lease.released || lease.generation !== owner.generation) {
        // Released while BEGIN was on its way: nobody will ever end this transaction.
        this.#release(lease, new Error("abandoned while beginning"));
        throw this.#abandoned(owner);
      }
      const id = this.#nextTransactionId();
      this.#transactions.set(id, lease);
      return { rowsJson: "[]", rowCount: -1, command: "BEGIN", transactionId: id };
    } finally {
      this.#inFlight--;
    }
  }

  async #execute(lease: Lease, sql: string, params: unknown[]): Promise<QueryReply> {
    if (lease.cancelling !== undefined) await lease.cancelling;
    if (lease.released || lease.generation !== lease.owner.generation) throw this.#abandoned(lease.owner);
    // E.g. the server ended an idle transaction (25P03): say so, rather than "not queryable".
    if (lease.broken !== undefined) throw this.#failure(lease.broken, lease);
    lease.cancelledByHost = false;
    lease.active++;
    const started = performance.now();
    const timer = this.#queryTimeoutMs > 0 && this.#adminPool !== undefined
      ? setTimeout(() => this.#cancel(lease), this.#queryTimeoutMs)
      : undefined;
    try {
      const config: ExtendedQueryConfig = { text: sql, values: params, queryMode: "extended" };
      const result = await lease.client.query(config);
      return {
        rowsJson: encodeRows(result.rows as Record<string, unknown>[]),
        rowCount: result.rowCount ?? -1,
        command: result.command ?? "",
        transactionId: 0,
      };
    } catch (error) {
      this.#errors++;
      throw this.#failure(error, lease);
    } finally {
      clearTimeout(timer);
      lease.active--;
      const ms = performance.now() - started;
      this.#queries++;
      this.#totalDurationMs += ms;
      if (ms >= this.#slowQueryMs) {
        this.#slowQueries++;
        this.#logger.warn("slow query", { role: this.#role, ms: Math.round(ms), sql: truncate(sql) });
      }
    }
  }

  #admit(): void {
    if (this.#closed) throw new CorralError(ErrorCode.DB_UNAVAILABLE, `the database pool of ${this.#role} is closed`);
    if (this.#inFlight >= this.#maxConcurrent) {
      throw new CorralError(ErrorCode.DB_TOO_MANY_QUERIES,
        `${this.#role} already has ${this.#inFlight} statements running or queued, its limit (maxConcurrentQueries); ` +
        "wait for some to finish before sending more");
    }
    this.#inFlight++;
  }

  async #checkout(owner: SessionState): Promise<Lease> {
    const generation = owner.generation;
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw this.#connectFailure(error);
    }
    const lease: Lease = {
      client,
      owner,
      // pg keeps the pid from the server's BackendKeyData; @types/pg does not declare it.
      pid: (client as unknown as { processID?: number | null }).processID ?? undefined,
      generation,
      onError: (error) => {
        // The first error says why (e.g. 25P03); "Connection terminated" follows it.
        lease.broken ??= error;
      },
      active: 0,
      broken: undefined,
      released: false,
      cancelling: undefined,
      cancelledByHost: false,
    };
    // pg-pool listens for errors only on idle connections; a checked-out one needs its own.
    client.on("error", lease.onError);
    this.#leases.add(lease);
    if (generation !== owner.generation || this.#closed) {
      await this.#checkin(lease);
      throw this.#abandoned(owner);
    }
    return lease;
  }

  /** Gives a connection back, once no cancel aimed at it can still land; broken ones are destroyed. */
  async #checkin(lease: Lease): Promise<void> {
    if (lease.cancelling !== undefined) await lease.cancelling;
    this.#release(lease, lease.broken);
  }

  #release(lease: Lease, destroy: Error | undefined): void {
    if (lease.released) return;
    lease.released = true;
    this.#leases.delete(lease);
    lease.client.release(destroy);
    lease.client.removeListener("error", lease.onError);
  }

  #cancel(lease: Lease): void {
    if (lease.active === 0 || lease.released || lease.cancelling !== undefined || lease.pid === undefined || this.#adminPool === undefined) return;
    lease.cancelledByHost = true;
    this.#logger.warn("cancelling a statement over the host's query timeout", { role: this.#role, ms: this.#queryTimeoutMs });
    lease.cancelling = this.#adminPool
      .query("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND usename = $2", [lease.pid, this.#role])
      .then(
        () => undefined,
        (error: Error) => this.#logger.warn("could not cancel a statement", { role: this.#role, error: error.message }),
      )
      .finally(() => {
        lease.cancelling = undefined;
      });
  }

  #transaction(owner: SessionState, id: number): Lease {
    const lease = this.#transactions.get(id);
    // Another process's transaction is as unknown to this one as a finished one.
    if (lease === undefined || lease.owner !== owner) {
      throw new CorralError(ErrorCode.DB_TRANSACTION_UNKNOWN,
        `${this.#role} has no open transaction ${id}: it was committed, rolled back or abandoned when the plugin ` +
        "restarted; begin a new one");
    }
    return lease;
  }

  #nextTransactionId(): number {
    this.#lastTransactionId = this.#lastTransactionId >= UINT32_MAX ? 1 : this.#lastTransactionId + 1;
    return this.#lastTransactionId;
  }

  /** What the plugin is told when a statement fails; a connection that failed is marked broken. */
  #failure(error: unknown, lease: Lease): CorralError {
    // After releaseAll, whatever the connection reported, the cause is the release.
    if (lease.generation !== lease.owner.generation) return this.#abandoned(lease.owner);
    if (isPostgresError(error)) {
      if (error.code === "57014" && lease.cancelledByHost) {
        return new DatabaseError(
          `canceling statement: it ran longer than the host allows (${this.#queryTimeoutMs} ms)`, "57014", { cause: error });
      }
      // 57P01 and friends: the server ended the session; the connection is gone.
      if (error.code?.startsWith("57P") === true) lease.broken ??= error;
      return new DatabaseError(error.message, error.code ?? "", { cause: error });
    }
    lease.broken ??= error instanceof Error ? error : new Error(String(error));
    return new CorralError(ErrorCode.DB_UNAVAILABLE,
      `the database connection of ${this.#role} failed: ${(error as Error).message}`, { cause: error });
  }

  #connectFailure(error: unknown): CorralError {
    const message = (error as Error).message;
    if (/timeout/i.test(message)) {
      return new CorralError(ErrorCode.DB_UNAVAILABLE,
        `no free database connection for ${this.#role} within ${this.#connectionTimeoutMs} ms: all ${this.#poolSize} are busy ` +
        `(${this.#transactions.size} held by open transactions); end transactions sooner or send fewer statements at once`,
        { cause: error });
    }
    return new CorralError(ErrorCode.DB_UNAVAILABLE, `cannot connect to the database as ${this.#role}: ${message}`, { cause: error });
  }

  #abandoned(owner: SessionState): CorralError {
    return new CorralError(ErrorCode.DB_UNAVAILABLE,
      `the statement was abandoned: the plugin's database work was released (${owner.releaseReason || "pool closed"})`);
  }
}

function decodeParams(paramsJson: string): unknown[] {
  if (paramsJson === "") return [];
  try {
    return decodeSqlValues(paramsJson);
  } catch (error) {
    throw new CorralError(ErrorCode.DB_QUERY_FAILED, `the query's parameters are malformed: ${(error as Error).message}`);
  }
}

function truncate(sql: string): string {
  const flat = sql.replace(/\s+/g, " ").trim();
  return flat.length > SQL_IN_LOG ? `${flat.slice(0, SQL_IN_LOG)}…` : flat;
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number >= 1, got ${JSON.stringify(value)}`);
  return value;
}
