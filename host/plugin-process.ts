/**
 * One running plugin process: spawn, handshake, request/response correlation, ping, shutdown,
 * and an exact account of why it ended.
 *
 * Everything the plugin sends is untrusted. A frame that cannot be decoded, is over the cap,
 * answers an id the host never sent, or arrives out of order ends the process with a
 * "protocol-violation" exit; the host itself never throws because of a plugin.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import semver from "semver";
import { CorralError, ErrorCode, type ErrorCodeValue, isErrorCode } from "../schemas/errors.ts";
import { FrameReader, FramingError } from "../schemas/framing.ts";
import { FrameWriter } from "../schemas/frame-writer.ts";
import { PROTOCOL_MAJOR, PROTOCOL_MINOR } from "../schemas/messages.ts";
import type {
  HelloMessage,
  HostToPlugin,
  MigrateAction,
  PluginToHost,
  QueryMessage,
  ResponseMessage,
  TransactionMessage,
} from "../schemas/messages.ts";
import type { Logger } from "./logger.ts";
import type { LaunchPlan } from "./permission-flags.ts";
import { decodePluginMessage, encodeHostMessage, ProtocolViolation } from "./protocol/codec.ts";
import { LineSplitter } from "./line-splitter.ts";
import { DEFAULT_LOG_RATE, LogRateLimit } from "./log-rate-limit.ts";
import { ExpiredIds } from "./protocol/expired-ids.ts";
import { Deadlines, type Expiring, Question, Questions } from "./protocol/questions.ts";

/** SDK versions this host can talk to. */
export const SUPPORTED_SDK_RANGE = "^0.1.0";

/** Why a plugin process ended. */
export type ExitKind =
  | "exited" // the process exited by itself
  | "signaled" // killed by a signal the host did not send
  | "heap-limit" // V8 reached --max-old-space-size
  | "memory-limit" // the host saw its RSS over the limit and killed it
  | "cpu-limit" // the host saw its CPU use over limits.cpuPercent for a whole window and killed it
  | "unresponsive" // no pong after a request timed out
  | "slow-reader" // it stopped reading fd 3 and the host's unsent bytes for it passed the cap
  | "protocol-violation"
  | "start-timeout"
  | "init-failed" // its module or init hook failed, or the handshake was refused
  | "stopped"; // the host stopped it on purpose

export interface ExitReason {
  readonly kind: ExitKind;
  readonly message: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly at: string;
}

export interface PluginProcessOptions {
  readonly name: string;
  readonly version: string;
  readonly plan: LaunchPlan;
  readonly cwd: string;
  readonly logger: Logger;
  readonly hostVersion: string;
  readonly entryUrl: string;
  readonly mountPath: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly startTimeoutMs: number;
  /** Largest frame accepted from the plugin. */
  readonly maxFrameBytes: number;
  /**
   * Most bytes the host holds unsent for this plugin (fd 3's write buffer) before it refuses new
   * requests and watches for a slow reader; default: one largest frame plus
   * {@linkcode WRITE_BUFFER_SLACK_BYTES}.
   */
  readonly maxUnsentBytes?: number;
  /** Largest response body the plugin may send (it answers 502 itself beyond it). */
  readonly maxResponseBytes: number;
  readonly database?: DatabaseService;
  /** Runs the plugin's `call`s to host services: method and JSON payload in, JSON result out. */
  readonly services?: (method: string, payloadJson: string) => Promise<string>;
  /**
   * Where the plugin's stdout and stderr go as raw bytes, ended with them (a command run by the
   * CLI). Without it each line becomes a log record.
   */
  readonly output?: { readonly stdout: NodeJS.WritableStream; readonly stderr: NodeJS.WritableStream };
}

/** The database calls a plugin may make; present only for plugins with `"database": true`. */
export interface DatabaseService {
  query(request: Omit<QueryMessage, "type" | "id">): Promise<DatabaseReply>;
  transaction(request: Omit<TransactionMessage, "type" | "id">): Promise<DatabaseReply>;
}

export interface DatabaseReply {
  readonly rowsJson: string;
  readonly rowCount: number;
  readonly command: string;
  readonly transactionId: number;
}

const INIT_ID = 1;
/**
 * Room over one largest frame in fd 3's write buffer: a plugin that reads, however busy, drains
 * it between turns of its event loop; one that stops reading lets it grow without end.
 */
export const WRITE_BUFFER_SLACK_BYTES = 16 * 1024 * 1024;
/** How long a plugin over the cap may go without reading a byte before it is ended as a slow reader. */
export const SLOW_READER_GRACE_MS = 2_000;
const STDERR_TAIL_LINES = 20;
/** Deno's line on stderr when it runs with --inspect. */
const INSPECTOR_LINE = /^Debugger listening on (ws:\/\/\S+)/;
const HEAP_LIMIT_PATTERN = /Reached heap limit|JavaScript heap out of memory|Fatal JavaScript out of memory/;

/** A spawned plugin; create one per start, never restart the same object. */
export class PluginProcess {
  readonly #options: PluginProcessOptions;
  readonly #log: Logger;
  #child: ChildProcess | undefined;
  #socket: Socket | undefined;
  #reader: FrameReader;
  #writer: FrameWriter | undefined;
  #nextId = INIT_ID + 1;
  readonly #pending = new Questions<ResponseMessage>();
  readonly #pings = new Map<number, () => void>();
  readonly #migrations = new Questions<string>();
  readonly #calls = new Questions<string>();
  /** One timer for the deadlines of all three (see protocol/questions.ts). */
  readonly #deadlines = new Deadlines((now) => this.#expireDue(now));
  #shutdownAck: (() => void) | undefined;
  #handshake: { resolve(): void; reject(error: CorralError): void } | undefined;
  #hello: HelloMessage | undefined;
  #ready = false;
  #killReason: Omit<ExitReason, "exitCode" | "signal" | "at"> | undefined;
  /** Set by stop(): the session goes on (shutdown hook logs, queries, shutdownComplete) until exit. */
  #stopReason: string | undefined;
  readonly #stderrTail: string[] = [];
  /** Ids the host stopped waiting for: one late answer each is accepted (see expired-ids.ts). */
  readonly #expired = new ExpiredIds();
  /** Log frames and stdout/stderr lines share one budget (see log-rate-limit.ts). */
  readonly #logLimit: LogRateLimit;
  #exitReason: ExitReason | undefined;
  /** Armed while the unsent bytes are over the cap (see #watchSlowReader). */
  #slowReaderWatch: NodeJS.Timeout | undefined;
  #inspectorUrl: string | undefined;
  readonly #exited: Promise<ExitReason>;
  #resolveExited!: (reason: ExitReason) => void;

  constructor(options: PluginProcessOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#reader = new FrameReader({ maxFrameBytes: options.maxFrameBytes, maxSegments: 64 });
    this.#exited = new Promise((resolve) => (this.#resolveExited = resolve));
    this.#logLimit = new LogRateLimit({
      ...DEFAULT_LOG_RATE,
      onDropped: (count) => this.#log.warn(
        `dropped ${count} log records from this plugin: over the limit of ${DEFAULT_LOG_RATE.perSecond} per second`, { dropped: count }),
    });
  }

  /** The OS process id of the outermost process (prlimit/bwrap/deno), once spawned. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The V8 inspector's WebSocket URL, for a process launched with --inspect (host/profiling/). */
  get inspectorUrl(): string | undefined {
    return this.#inspectorUrl;
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.#pending.size;
  }

  get ready(): boolean {
    return this.#ready && this.#exitReason === undefined;
  }

  /** What the plugin said in its handshake. */
  get hello(): HelloMessage | undefined {
    return this.#hello;
  }

  /** Resolves once, when the process has ended, with the reason. */
  get exited(): Promise<ExitReason> {
    return this.#exited;
  }

  /**
   * Spawns the process and completes the handshake.
   *
   * @throws {CorralError} START_TIMEOUT, PROTOCOL_VERSION, INIT_FAILED or ENTRY_INVALID; the
   * process is killed before the promise rejects.
   */
  async start(): Promise<void> {
    const { plan, cwd, startTimeoutMs } = this.#options;
    const handshake = new Promise<void>((resolve, reject) => (this.#handshake = { resolve, reject }));
    const child = spawn(plan.command, plan.args, {
      cwd,
      env: plan.env,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
      // A process group of its own: Ctrl-C in a terminal signals the host's group, and the host
      // stops its plugins in order; a plugin in that group would die first and be reported as a
      // crash. It still dies with the host (bwrap --die-with-parent, or setpriv --pdeathsig).
      detached: true,
    });
    this.#child = child;
    const socket = child.stdio[3] as Socket;
    this.#socket = socket;
    this.#writer = new FrameWriter((bytes) => {
      if (socket.destroyed || !socket.writable) return;
      socket.write(bytes);
      if (socket.writableLength > this.#maxUnsent) this.#watchSlowReader(socket);
    }, setImmediate);
    this.#wireOutput(child);
    this.#socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    // EPIPE and friends after the child died: the exit handler reports the reason.
    this.#socket.on("error", () => {});
    child.on("error", (error) => {
      this.kill("init-failed", `could not spawn ${plan.command}: ${error.message}`);
      this.#onExit(null, null);
    });
    child.on("exit", (code, signal) => this.#onExit(code, signal));

    const timer = setTimeout(() => {
      this.kill("start-timeout", `did not say ready within ${startTimeoutMs} ms`);
    }, startTimeoutMs);
    try {
      await handshake;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends one request and resolves with the response. `message` becomes the frame: its `id` is
   * set on it, so pass an object made for this call.
   *
   * @throws {CorralError} REQUEST_TIMEOUT after `timeoutMs`, PLUGIN_CRASHED when the process ends
   * first, or HANDLER_FAILED when the plugin answers with an error.
   */
  request(message: Omit<Extract<HostToPlugin, { type: "request" }>, "id">, timeoutMs: number): Promise<ResponseMessage> {
    const unsent = this.#unsentBytes;
    if (unsent > this.#maxUnsent) {
      return Promise.reject(new CorralError(ErrorCode.PLUGIN_BUSY,
        `plugin "${this.#options.name}" is not keeping up with its input: ${unsent} bytes wait to be sent to it ` +
          `(the cap is ${this.#maxUnsent}); retry later`));
    }
    // The message's own object gets the id: no copy per request (the caller made it for this call).
    const request = message as Extract<HostToPlugin, { type: "request" }>;
    return this.#ask(this.#pending, request, timeoutMs,
      () => `${message.method} ${message.url} within ${timeoutMs} ms (limits.timeoutMs)`);
  }

  /**
   * Calls one of the plugin's entry points (a hook, an event delivery...) and resolves with its
   * JSON result parsed (null for none).
   *
   * @throws {CorralError} CALL_TIMEOUT after `timeoutMs`, PLUGIN_UNAVAILABLE when it is not
   * ready, PLUGIN_CRASHED when it ends first, or the plugin's own error (CALL_UNKNOWN, CALL_FAILED).
   */
  async call(method: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    if (!this.#callsEnabled) {
      throw new CorralError(ErrorCode.CALL_UNKNOWN, `plugin "${this.#options.name}" runs an SDK without calls; "${method}" cannot be sent`);
    }
    const json = await this.#ask(this.#calls, { type: "call", id: 0, method, payloadJson: JSON.stringify(payload ?? null) },
      timeoutMs, `"${method}" within ${timeoutMs} ms`, ErrorCode.CALL_TIMEOUT);
    return json === "" ? null : JSON.parse(json);
  }

  /** Whether both sides enabled the "calls" feature in the handshake. */
  get #callsEnabled(): boolean {
    return this.#hello?.features.includes("calls") ?? false;
  }

  /** Resolves true when the plugin answers a ping within `timeoutMs`, false otherwise. */
  ping(timeoutMs: number): Promise<boolean> {
    if (this.#exitReason !== undefined || !this.#ready) return Promise.resolve(false);
    const id = this.#nextId++;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#pings.delete(id);
        this.#expired.add(id);
        resolve(false);
      }, timeoutMs);
      this.#pings.set(id, () => {
        clearTimeout(timer);
        resolve(true);
      });
      this.#send({ type: "ping", id });
    });
  }

  /**
   * Asks the plugin to report, apply or undo its migrations; resolves with the plugin's JSON report.
   *
   * @throws {CorralError} MIGRATION_FAILED (from the plugin) or REQUEST_TIMEOUT.
   */
  migrate(action: MigrateAction, timeoutMs: number): Promise<string> {
    return this.#ask(this.#migrations, { type: "migrate", id: 0, action }, timeoutMs,
      `migrate ${action} within ${timeoutMs} ms`);
  }

  /**
   * Sends `message` under a new id (written into it) and waits for the answer that `pending` will
   * receive under that id, or rejects with `timeoutCode` naming `what` the plugin did not answer.
   */
  #ask<T>(
    pending: Questions<T>,
    message: HostToPlugin,
    timeoutMs: number,
    what: string | (() => string),
    timeoutCode: ErrorCodeValue = ErrorCode.REQUEST_TIMEOUT,
  ): Promise<T> {
    if (!this.ready) {
      return Promise.reject(new CorralError(ErrorCode.PLUGIN_UNAVAILABLE, `plugin "${this.#options.name}" is not ready`));
    }
    const id = this.#nextId++;
    (message as { id: number }).id = id;
    const deadline = performance.now() + timeoutMs;
    const answer = new Promise<T>((resolve, reject) => pending.set(id, new Question(resolve, reject, deadline, timeoutCode, what)));
    this.#deadlines.due(deadline);
    this.#send(message);
    return answer;
  }

  /** Rejects every question whose deadline has passed; returns the earliest deadline left. */
  #expireDue(now: number): number {
    const expire = (id: number, question: Expiring) => {
      this.#expired.add(id);
      const what = typeof question.what === "string" ? question.what : question.what();
      question.reject(new CorralError(question.timeoutCode, `plugin "${this.#options.name}" did not answer ${what}`));
    };
    return Math.min(this.#pending.expireDue(now, expire), this.#migrations.expireDue(now, expire), this.#calls.expireDue(now, expire));
  }

  /**
   * Asks the plugin to run its shutdown hook and exit; kills it when `deadlineMs` passes.
   * Resolves with the exit reason.
   */
  async stop(reason: string, deadlineMs: number): Promise<ExitReason> {
    if (this.#exitReason !== undefined) return this.#exitReason;
    this.#stopReason ??= reason;
    if (this.#ready) {
      const acknowledged = new Promise<void>((resolve) => (this.#shutdownAck = resolve));
      this.#send({ type: "shutdown", id: this.#nextId++, reason, deadlineMs });
      const timer = setTimeout(() => this.kill("stopped", `${reason}; did not exit within ${deadlineMs} ms`), deadlineMs);
      await Promise.race([acknowledged, this.#exited]);
      // The runner exits right after acknowledging; give it a moment, then make sure.
      const grace = setTimeout(() => this.kill("stopped", reason), 500);
      await this.#exited;
      clearTimeout(timer);
      clearTimeout(grace);
    } else {
      this.kill("stopped", reason);
    }
    return this.#exited;
  }

  /** Kills the process at once (SIGKILL) and records why; the first reason given wins. */
  kill(kind: ExitKind, message: string): void {
    this.#killReason ??= { kind, message };
    if (this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill("SIGKILL");
    }
  }

  #send(message: HostToPlugin): void {
    const socket = this.#socket;
    if (socket === undefined || socket.destroyed || !socket.writable) return;
    // A lone request goes out at once; under load, frames wait for one write per loop turn.
    this.#writer!.push(encodeHostMessage(message), this.#pending.size <= 1);
  }

  #onData(chunk: Uint8Array): void {
    if (this.#exitReason !== undefined || this.#killReason !== undefined) return;
    try {
      for (const frame of this.#reader.push(chunk)) {
        this.#dispatch(decodePluginMessage(frame));
        if (this.#killReason !== undefined) return;
      }
    } catch (error) {
      if (error instanceof FramingError || error instanceof ProtocolViolation) {
        this.#violation(error.message);
      } else {
        this.#violation(`unexpected error while reading a frame: ${(error as Error).message}`);
      }
    }
  }

  #dispatch(message: PluginToHost): void {
    if (this.#hello === undefined) {
      if (message.type !== "hello") return this.#violation(`first frame must be hello, got ${message.type}`);
      return this.#onHello(message);
    }
    switch (message.type) {
      case "response": {
        const pending = this.#pending.take(message.id);
        // A response to a request that already timed out is legitimate, once; any other is not.
        if (pending === undefined) return this.#unexpectedAnswer("response", message.id);
        pending.resolve(message);
        return;
      }
      case "log":
        return this.#onLog(message);
      case "pong": {
        const pong = this.#pings.get(message.id);
        if (pong === undefined) return this.#unexpectedAnswer("pong", message.id);
        this.#pings.delete(message.id);
        return pong();
      }
      case "ready":
        if (message.id !== INIT_ID || this.#ready) return this.#violation(`unexpected ready (id ${message.id})`);
        this.#ready = true;
        this.#log.info("plugin ready", { routes: message.routeCount, pid: this.pid });
        this.#handshake?.resolve();
        return;
      case "error":
        return this.#onError(message);
      case "shutdownComplete":
        this.#shutdownAck?.();
        return;
      case "query":
      case "transaction":
        return this.#onDatabaseCall(message);
      case "migrateResult": {
        const pending = this.#migrations.take(message.id);
        if (pending === undefined) return this.#violation(`migrateResult for id ${message.id}, which is not pending`);
        return pending.resolve(message.resultJson);
      }
      case "call":
        return this.#onCall(message);
      case "callResult": {
        const pending = this.#calls.take(message.id);
        // As for responses: an answer after the call timed out is legitimate, once.
        if (pending === undefined) return this.#unexpectedAnswer("callResult", message.id);
        return pending.resolve(message.payloadJson);
      }
      case "hello":
        return this.#violation("second hello");
    }
  }

  /** An answer to an id that is not pending: dropped once if that question expired, else a violation. */
  #unexpectedAnswer(kind: string, id: number): void {
    if (this.#expired.take(id)) return;
    if (id >= this.#nextId || id <= INIT_ID) return this.#violation(`${kind} to id ${id}, which the host never sent`);
    this.#violation(`${kind} to id ${id}, which is not waiting for an answer (already answered, or never asked)`);
  }

  /** Whether one more log record from the plugin may be written; ends a plugin that floods. */
  #admitLog(): boolean {
    const verdict = this.#logLimit.admit();
    if (verdict === "flood") {
      this.#logLimit.flush();
      this.#violation(`log flood: more than ${DEFAULT_LOG_RATE.floodAfterDropped} records over the limit of ` +
        `${DEFAULT_LOG_RATE.perSecond} per second within one second`);
    }
    return verdict === "log";
  }

  #onHello(hello: HelloMessage): void {
    this.#hello = hello;
    if (hello.protocolMajor !== PROTOCOL_MAJOR) {
      return this.#failHandshake(ErrorCode.PROTOCOL_VERSION,
        `plugin "${this.#options.name}" speaks protocol ${hello.protocolMajor}.${hello.protocolMinor}, ` +
          `this host speaks ${PROTOCOL_MAJOR}.${PROTOCOL_MINOR}: run it with a host and SDK of the same major version`);
    }
    if (semver.valid(hello.sdkVersion) === null || !semver.satisfies(hello.sdkVersion, SUPPORTED_SDK_RANGE)) {
      return this.#failHandshake(ErrorCode.PROTOCOL_VERSION,
        `plugin "${this.#options.name}" runs SDK ${JSON.stringify(hello.sdkVersion)}, this host supports ${SUPPORTED_SDK_RANGE}`);
    }
    const options = this.#options;
    this.#send({
      type: "init",
      id: INIT_ID,
      protocolMajor: PROTOCOL_MAJOR,
      protocolMinor: PROTOCOL_MINOR,
      hostVersion: options.hostVersion,
      pluginName: options.name,
      pluginVersion: options.version,
      entryUrl: options.entryUrl,
      mountPath: options.mountPath,
      configJson: JSON.stringify(options.config),
      maxBodyBytes: options.maxResponseBytes,
      // Only what both sides want: the runner announces "database", the manifest asks for it.
      features: [
        ...(options.database !== undefined && hello.features.includes("database") ? ["database"] : []),
        ...(hello.features.includes("calls") ? ["calls"] : []),
      ],
    });
  }

  /** Runs a query or transaction step for the plugin; the answer goes back with the same id. */
  #onDatabaseCall(message: QueryMessage | TransactionMessage): void {
    const database = this.#options.database;
    if (database === undefined) {
      return this.#violation(`sent a ${message.type} frame, but its manifest does not say "database": true`);
    }
    const { id } = message;
    const call = message.type === "query"
      ? database.query({
        sql: message.sql, paramsJson: message.paramsJson, transactionId: message.transactionId,
        ...(message.traceparent === undefined ? {} : { traceparent: message.traceparent }),
      })
      : database.transaction({ action: message.action, transactionId: message.transactionId });
    call.then(
      (reply) => this.#send({ type: "queryResult", id, ...reply }),
      (error: unknown) => {
        const code = error instanceof CorralError ? error.code : ErrorCode.DB_QUERY_FAILED;
        const sqlState = (error as { sqlState?: unknown }).sqlState;
        this.#send({
          type: "error",
          id,
          code,
          message: (error as Error).message,
          sqlState: typeof sqlState === "string" ? sqlState : "",
        });
      },
    );
  }

  /** Runs a plugin's call to a host service; the answer goes back with the same id. */
  #onCall(message: Extract<PluginToHost, { type: "call" }>): void {
    if (!this.#callsEnabled) return this.#violation(`sent a call ("${message.method}") without the "calls" feature`);
    const { id, method } = message;
    const services = this.#options.services;
    const answer = services === undefined
      ? Promise.reject(new CorralError(ErrorCode.CALL_UNKNOWN, `this host offers no services; "${method}" is unknown`))
      : services(method, message.payloadJson);
    answer.then(
      (payloadJson) => this.#send({ type: "callResult", id, payloadJson }),
      (error: unknown) => {
        const code = error instanceof CorralError ? error.code : ErrorCode.CALL_FAILED;
        this.#send({ type: "error", id, code, message: (error as Error).message });
      },
    );
  }

  #onError(message: Extract<PluginToHost, { type: "error" }>): void {
    const code = isErrorCode(message.code) ? message.code : ErrorCode.HANDLER_FAILED;
    if (!this.#ready) {
      return this.#failHandshake(code, message.message);
    }
    const pending = this.#pending.take(message.id) ?? this.#migrations.take(message.id) ?? this.#calls.take(message.id);
    if (pending !== undefined) {
      pending.reject(new CorralError(code, message.message));
      return;
    }
    if (message.id === 0 && this.#admitLog()) {
      this.#log.error("plugin reported a fatal error", { code, error: message.message });
    }
  }

  #failHandshake(code: CorralError["code"], message: string): void {
    this.#handshake?.reject(new CorralError(code, message));
    this.kill("init-failed", message);
  }

  #onLog(message: Extract<PluginToHost, { type: "log" }>): void {
    if (!this.#admitLog()) return;
    let fields: Record<string, unknown> | undefined;
    if (message.fieldsJson !== "") {
      try {
        const parsed: unknown = JSON.parse(message.fieldsJson);
        fields = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
          ? parsed as Record<string, unknown>
          : { fields: parsed };
      } catch {
        fields = { fieldsJson: message.fieldsJson };
      }
    }
    const time = Number.isFinite(message.timeMs) ? new Date(message.timeMs) : new Date();
    this.#log.log(message.level, message.message, fields, isNaN(time.getTime()) ? new Date() : time);
  }

  /** The most bytes held unsent for this plugin before requests are refused (see maxUnsentBytes). */
  get #maxUnsent(): number {
    return this.#options.maxUnsentBytes ?? this.#options.maxFrameBytes + WRITE_BUFFER_SLACK_BYTES;
  }

  /** Bytes the host holds for the plugin: fd 3's write buffer and this turn's queued frames. */
  get #unsentBytes(): number {
    return (this.#socket?.writableLength ?? 0) + (this.#writer?.queuedBytes ?? 0);
  }

  /**
   * Over the cap, new requests are refused (503 PLUGIN_BUSY, see request()), which bounds the
   * buffer; a plugin that reads drains it and carries on. One that has not drained a byte for a
   * whole SLOW_READER_GRACE_MS has stopped reading: it is ended as `slow-reader`, and its socket
   * goes at once, so the buffer is freed before the exit arrives.
   */
  #watchSlowReader(socket: Socket): void {
    if (this.#slowReaderWatch !== undefined) return;
    let last = socket.writableLength;
    this.#slowReaderWatch = setInterval(() => {
      const unsent = socket.writableLength;
      if (unsent <= this.#maxUnsent || socket.destroyed) {
        clearInterval(this.#slowReaderWatch);
    this.#deadlines.stop();
        this.#slowReaderWatch = undefined;
      } else if (unsent >= last) {
        clearInterval(this.#slowReaderWatch);
    this.#deadlines.stop();
        const message = `slow reader: ${unsent} bytes waiting to be written to the plugin (fd 3), over the cap of ` +
          `${this.#maxUnsent}, and none of it read for ${SLOW_READER_GRACE_MS} ms; it stopped reading what the host sends`;
        this.#log.error("ending plugin", { reason: message });
        this.kill("slow-reader", message);
        socket.destroy();
      } else {
        last = unsent;
      }
    }, SLOW_READER_GRACE_MS);
    this.#slowReaderWatch.unref();
  }

  #violation(detail: string): void {
    const message = `protocol violation: ${detail}`;
    this.#log.error("ending plugin", { reason: message });
    this.#handshake?.reject(new CorralError(ErrorCode.PROTOCOL_VIOLATION, message));
    this.kill("protocol-violation", message);
  }

  #wireOutput(child: ChildProcess): void {
    const output = this.#options.output;
    const stdout = new LineSplitter((line) => {
      if (this.#admitLog()) this.#log.info(line, { stream: "stdout" });
    });
    const stderr = new LineSplitter((line) => {
      // Kept even when passed through: the heap-limit verdict reads it.
      this.#stderrTail.push(line);
      this.#inspectorUrl ??= INSPECTOR_LINE.exec(line)?.[1];
      if (this.#stderrTail.length > STDERR_TAIL_LINES) this.#stderrTail.shift();
      if (output === undefined && this.#admitLog()) this.#log.warn(line, { stream: "stderr" });
    });
    if (output !== undefined) {
      child.stdout?.pipe(output.stdout);
      child.stderr?.pipe(output.stderr);
    } else {
      child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
    }
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.stdout?.on("end", () => stdout.flush());
    child.stderr?.on("end", () => stderr.flush());
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#exitReason !== undefined) return;
    const reason = this.#describeExit(code, signal);
    this.#exitReason = reason;
    this.#ready = false;
    clearInterval(this.#slowReaderWatch);
    this.#deadlines.stop();
    this.#logLimit.flush();
    this.#socket?.destroy();
    const crashed = new CorralError(ErrorCode.PLUGIN_CRASHED,
      `plugin "${this.#options.name}" ended while handling the request: ${reason.message}`);
    for (const pending of [...this.#pending.values(), ...this.#migrations.values(), ...this.#calls.values()]) pending.reject(crashed);
    this.#pending.clear();
    this.#migrations.clear();
    this.#calls.clear();
    this.#pings.clear();
    this.#handshake?.reject(new CorralError(
      reason.kind === "start-timeout" ? ErrorCode.START_TIMEOUT : ErrorCode.INIT_FAILED,
      `plugin "${this.#options.name}" ended before it was ready: ${reason.message}`,
    ));
    this.#resolveExited(reason);
  }

  #describeExit(code: number | null, signal: NodeJS.Signals | null): ExitReason {
    const base = { exitCode: code, signal, at: new Date().toISOString() };
    const stderr = this.#stderrTail.join("\n");
    // The heap limit is V8's own verdict, so it wins over a kill the host sent in the meantime.
    if (HEAP_LIMIT_PATTERN.test(stderr)) {
      const limit = this.#options.plan.grants.memoryMb;
      return { ...base, kind: "heap-limit", message: `reached its JavaScript heap limit (limits.memoryMb = ${limit})` };
    }
    if (this.#killReason !== undefined) return { ...base, ...this.#killReason };
    if (this.#stopReason !== undefined) return { ...base, kind: "stopped", message: this.#stopReason };
    if (signal !== null) return { ...base, kind: "signaled", message: `killed by ${signal}` };
    const last = this.#stderrTail.at(-1);
    return {
      ...base,
      kind: "exited",
      message: `exited with code ${code}` + (last === undefined ? "" : ` (last stderr line: ${last.slice(0, 300)})`),
    };
  }
}
