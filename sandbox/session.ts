/**
 * The plugin side of one Corral session: handshake, requests, liveness, shutdown, and the
 * runner's own calls to the host (database). The rules are written out in docs/protocol.md;
 * this class is their executable form, with I/O injected.
 *
 * @module
 */

import { CorralError, ErrorCode, type ErrorCodeValue } from "../schemas/errors.ts";
import { PROTOCOL_MAJOR, PROTOCOL_MINOR } from "../schemas/messages.ts";
import type { CallMessage, InitMessage, MigrateMessage, RequestMessage, ShutdownMessage } from "../schemas/messages.ts";
import { answerRequest } from "./answer-request.ts";
import { databaseLink } from "./database-link.ts";
import { HostCalls } from "./host-calls.ts";
import { hostServices } from "./host-services.ts";
import { messageOf } from "./error-message.ts";
import { toLogFrame } from "./log-frame.ts";
import { type ImportModule, loadPlugin } from "./plugin-loader.ts";
import { decodeFrame, encodeFrame, type Frame } from "./protocol/codec.ts";
import { DEFAULT_MAX_FRAME_BYTES, FrameReader } from "../schemas/framing.ts";
import type { StartedPlugin } from "./sdk/_internal.ts";
import { MigrationError } from "./sdk/db/migration-error.ts";
import type { LogRecord } from "./sdk/types.ts";
import { SDK_VERSION } from "./sdk/version.ts";

/** How the plugin process ends, so the host can tell why without parsing stderr. */
export const ExitCode = {
  /** After `shutdownComplete`, or when the host closed fd 3. */
  OK: 0,
  /** The handshake or start failed: protocol major mismatch, invalid entry, failed init. */
  START_FAILED: 1,
  /** The host sent something the runner cannot decode or that breaks the session's rules. */
  PROTOCOL_VIOLATION: 2,
  /** Started by hand, without the host's fd 3 (EX_USAGE). */
  NOT_STARTED_BY_HOST: 64,
} as const;

/** What a session needs from the process around it. */
export interface SessionIo {
  /**
   * Writes one encoded frame to the host, in order. `now`: nothing else is pending, so write at
   * once instead of waiting to batch it with others (latency at low load).
   */
  send(frame: Uint8Array, now?: boolean): void;
  /** Flushes what was sent, then ends the process with `code`. Called at most once. */
  exit(code: number): void;
  /** Imports the plugin's entry module; defaults to a dynamic `import()`. */
  importModule?: ImportModule;
}

/** Used when `init.maxBodyBytes` is 0 (unset): the largest body that still fits a frame under the cap. */
export const DEFAULT_MAX_BODY_BYTES = DEFAULT_MAX_FRAME_BYTES - 64 * 1024;

/** Used when `shutdown.deadlineMs` is 0 (unset). */
export const DEFAULT_SHUTDOWN_DEADLINE_MS = 5_000;

/**
 * Optional features this runner announces in `hello`; the host enables the ones it wants for the
 * session in `init.features`. "database": the plugin may send `query` and `transaction`; "calls":
 * either side may send `call` (host services one way, the plugin's entry points the other).
 */
export const RUNNER_FEATURES: readonly string[] = Object.freeze(["database", "calls"]);

type State = "awaiting-init" | "starting" | "ready" | "stopping" | "closed";

/**
 * One session over one byte stream. Call `start()` once (it sends `hello`), feed every chunk that
 * arrives to `receive()`. Requests run concurrently; each answer is written as soon as it is ready.
 */
export class Session {
  readonly #io: SessionIo;
  readonly #reader = new FrameReader();
  readonly #inFlight = new Map<number, Promise<void>>();
  /** Host calls being answered, so a lone answer goes out at once (as a lone response does). */
  #callsInFlight = 0;
  #state: State = "awaiting-init";
  #plugin: StartedPlugin | undefined;
  #maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
  #callsEnabled = false;
  readonly #calls = new HostCalls((frame) => this.#send(frame));

  constructor(io: SessionIo) {
    this.#io = io;
  }

  /** Sends `hello`, the first frame of every session. */
  start(): void {
    this.#send({
      type: "hello",
      id: 0,
      protocolMajor: PROTOCOL_MAJOR,
      protocolMinor: PROTOCOL_MINOR,
      sdkVersion: SDK_VERSION,
      runtimeVersion: `deno ${Deno.version.deno}`,
      features: RUNNER_FEATURES,
    });
  }

  /** Handles bytes from the host; they may hold any number of frames or parts of one. */
  receive(chunk: Uint8Array): void {
    if (this.#closed) return;
    let frames: readonly ArrayBuffer[];
    try {
      frames = this.#reader.push(chunk);
    } catch (error) {
      return this.#violation(messageOf(error));
    }
    for (const bytes of frames) {
      let frame: Frame;
      try {
        frame = decodeFrame(bytes);
      } catch (error) {
        return this.#violation(messageOf(error));
      }
      this.#dispatch(frame);
      if (this.#closed) return; // a violation ends the session mid-chunk
    }
  }

  /** Sends a log record made outside a plugin's logger (uncaught errors); dropped once closed. */
  log(record: LogRecord): void {
    this.#send(toLogFrame(record));
  }

  // A getter, so TypeScript does not narrow #state across the calls that change it.
  get #closed(): boolean {
    return this.#state === "closed";
  }

  #dispatch(frame: Frame): void {
    if (frame.id === 0 && frame.type !== "error") {
      return this.#violation(
        `the host sent "${frame.type}" with id 0; a message that expects an answer needs an id from 1`,
      );
    }
    switch (frame.type) {
      case "ping":
        return this.#send({ type: "pong", id: frame.id });
      case "request":
        return this.#onRequest(frame);
      case "init":
        if (this.#state !== "awaiting-init") return this.#violation(`"init" (id ${frame.id}) arrived twice`);
        return void this.#init(frame);
      case "shutdown":
        return void this.#shutdown(frame);
      case "error":
        if (frame.id === 0) return this.#onFatalHostError(frame.code, frame.message);
        // An error with an id answers one of the runner's own calls: the host never sends
        // the runner an error about something the host asked.
        if (!this.#calls.settle(frame)) {
          return this.#violation(`the host sent an error for id ${frame.id}, which this runner never used for a call`);
        }
        return;
      case "queryResult":
      case "callResult":
        if (!this.#calls.settle(frame)) {
          return this.#violation(`the host sent "${frame.type}" for id ${frame.id}, which this runner never used for a call`);
        }
        return;
      case "call":
        if (!this.#callsEnabled) return this.#violation(`the host sent "call" (id ${frame.id}) without enabling the "calls" feature`);
        return void this.#onCall(frame);
      case "migrate":
        return void this.#migrate(frame);
      default:
        return this.#violation(`the host sent "${frame.type}" (id ${frame.id}), which only a plugin sends`);
    }
  }

  async #init(frame: InitMessage): Promise<void> {
    this.#state = "starting";
    if (frame.protocolMajor !== PROTOCOL_MAJOR) {
      const message =
        `The host (Corral ${frame.hostVersion}) speaks protocol ${frame.protocolMajor}.${frame.protocolMinor} ` +
        `but this plugin runner (SDK ${SDK_VERSION}) speaks ${PROTOCOL_MAJOR}.${PROTOCOL_MINOR}; ` +
        "run plugins with the sandbox/ that ships with the host (update Corral as a whole).";
      return this.#fail(frame.id, ErrorCode.PROTOCOL_VERSION, message, ExitCode.START_FAILED);
    }
    if (frame.maxBodyBytes > 0) this.#maxBodyBytes = frame.maxBodyBytes;
    const database = frame.features.includes("database") ? databaseLink(this.#calls) : undefined;
    this.#callsEnabled = frame.features.includes("calls");
    const host = this.#callsEnabled ? hostServices(this.#calls) : undefined;
    try {
      const plugin = await loadPlugin(frame, (record) => this.log(record), this.#io.importModule, database, host);
      if (this.#state !== "starting") return; // a shutdown or a violation ended the session meanwhile
      this.#plugin = plugin;
      this.#state = "ready";
      this.#send({ type: "ready", id: frame.id, routeCount: plugin.routeCount });
    } catch (error) {
      const failure = error instanceof CorralError ? error : new CorralError(ErrorCode.INIT_FAILED, messageOf(error));
      const exitCode = failure.code === ErrorCode.PROTOCOL_VIOLATION
        ? ExitCode.PROTOCOL_VIOLATION
        : ExitCode.START_FAILED;
      const sqlState = failure.cause instanceof MigrationError ? failure.cause.sqlState : "";
      this.#fail(frame.id, failure.code, failure.message, exitCode, sqlState);
    }
  }

  /** The host's `migrate` command: answered with `migrateResult`, or `error` without ending the session. */
  async #migrate(frame: MigrateMessage): Promise<void> {
    const plugin = this.#plugin;
    if (this.#state !== "ready" || plugin === undefined) {
      return this.#sendError(frame.id, ErrorCode.MIGRATION_FAILED, `The plugin is not ready; "migrate ${frame.action}" was not run.`);
    }
    try {
      const report = await plugin.migrate(frame.action);
      this.#send({ type: "migrateResult", id: frame.id, resultJson: JSON.stringify(report) });
    } catch (error) {
      const sqlState = error instanceof MigrationError ? error.sqlState : "";
      const message = `Plugin "${plugin.context.name}": migrate ${frame.action}: ${messageOf(error)}`;
      this.#sendError(frame.id, ErrorCode.MIGRATION_FAILED, message, sqlState);
    }
  }

  /** The host calls one of the plugin's entry points: answered with `callResult`, or `error` without ending the session. */
  async #onCall(frame: CallMessage): Promise<void> {
    const plugin = this.#plugin;
    if (this.#state !== "ready" || plugin === undefined) {
      return this.#sendError(frame.id, ErrorCode.PLUGIN_UNAVAILABLE, `The plugin is not ready; "${frame.method}" was not run.`);
    }
    let payload: unknown;
    try {
      payload = frame.payloadJson === "" ? null : JSON.parse(frame.payloadJson);
    } catch (error) {
      return this.#sendError(frame.id, ErrorCode.CALL_FAILED, `"${frame.method}": the payload is not JSON: ${messageOf(error)}`);
    }
    this.#callsInFlight++;
    try {
      const result = await plugin.handleCall(frame.method, payload);
      this.#callsInFlight--;
      const alone = this.#callsInFlight === 0 && this.#inFlight.size === 0;
      this.#send({ type: "callResult", id: frame.id, payloadJson: result === undefined ? "" : JSON.stringify(result) }, alone);
    } catch (error) {
      this.#callsInFlight--;
      const code = error instanceof CorralError ? error.code : ErrorCode.CALL_FAILED;
      this.#sendError(frame.id, code, messageOf(error));
    }
  }

  #onRequest(frame: RequestMessage): void {
    const { id } = frame;
    if (this.#state === "stopping") {
      return this.#sendError(id, ErrorCode.SHUTTING_DOWN, `The plugin is shutting down; request ${id} was not run.`);
    }
    if (this.#state !== "ready") return this.#violation(`request ${id} arrived before the plugin was ready`);
    if (this.#inFlight.has(id)) return this.#violation(`request id ${id} is already in flight`);
    const answered = answerRequest(this.#plugin!, frame, this.#maxBodyBytes).then((answer) => {
      this.#inFlight.delete(id);
      this.#send(answer, this.#inFlight.size === 0);
    });
    this.#inFlight.set(id, answered);
  }

  async #shutdown(frame: ShutdownMessage): Promise<void> {
    if (this.#state === "stopping") return this.#violation(`"shutdown" (id ${frame.id}) arrived twice`);
    const plugin = this.#plugin;
    const starting = this.#state !== "ready";
    this.#state = "stopping";
    if (!starting && plugin) {
      const deadline = frame.deadlineMs > 0 ? frame.deadlineMs : DEFAULT_SHUTDOWN_DEADLINE_MS;
      // Keep a margin so shutdownComplete reaches the host before it gives up and kills us.
      const budget = deadline - Math.min(250, deadline / 5);
      const finished = await withinMs(this.#drainAndStop(plugin), budget);
      if (!finished) {
        plugin.context.log.warn(
          `shutdown: requests or the shutdown hook still running after ${budget} ms; exiting anyway`,
        );
      }
    }
    if (this.#closed) return;
    this.#send({ type: "shutdownComplete", id: frame.id });
    this.#close(ExitCode.OK);
  }

  async #drainAndStop(plugin: StartedPlugin): Promise<void> {
    await Promise.all(this.#inFlight.values());
    try {
      await plugin.stop();
    } catch (error) {
      plugin.context.log.error(`the shutdown hook threw: ${messageOf(error)}`, { stack: (error as Error)?.stack });
    }
  }

  #onFatalHostError(code: string, message: string): void {
    console.error(`corral: the host ended the session: ${code}: ${message}`);
    this.#close(ExitCode.OK);
  }

  #violation(message: string): void {
    this.#fail(0, ErrorCode.PROTOCOL_VIOLATION, message, ExitCode.PROTOCOL_VIOLATION);
  }

  #fail(id: number, code: ErrorCodeValue, message: string, exitCode: number, sqlState = ""): void {
    if (this.#closed) return;
    this.#sendError(id, code, message, sqlState);
    this.#close(exitCode);
  }

  #sendError(id: number, code: ErrorCodeValue, message: string, sqlState = ""): void {
    this.#send(sqlState === "" ? { type: "error", id, code, message } : { type: "error", id, code, message, sqlState });
  }

  #close(exitCode: number): void {
    this.#state = "closed";
    this.#calls.close("the plugin's session with the host has ended");
    this.#io.exit(exitCode);
  }

  #send(frame: Frame, now = false): void {
    if (this.#state !== "closed") this.#io.send(encodeFrame(frame), now);
  }
}

/** Whether `work` settles within `ms`; it is not cancelled when it does not. */
async function withinMs(work: Promise<void>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => timer = setTimeout(resolve, ms, false));
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
