/**
 * The protocol's messages as plain objects: what each side's codec produces when it decodes a
 * frame and takes when it encodes one. Field meanings are documented in protocol.capnp.
 *
 * @module
 */

/** Protocol major version; peers with different majors refuse each other. Mirrors protocol.capnp. */
export const PROTOCOL_MAJOR = 1;
/** Protocol minor version. Mirrors protocol.capnp. */
export const PROTOCOL_MINOR = 1;

/** Log levels, in the order of the schema's `LogRecord.Level` enum. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

export interface HelloMessage {
  readonly type: "hello";
  readonly id: number;
  readonly protocolMajor: number;
  readonly protocolMinor: number;
  readonly sdkVersion: string;
  readonly runtimeVersion: string;
  readonly features: readonly string[];
}

export interface InitMessage {
  readonly type: "init";
  readonly id: number;
  readonly protocolMajor: number;
  readonly protocolMinor: number;
  readonly hostVersion: string;
  readonly pluginName: string;
  readonly pluginVersion: string;
  readonly entryUrl: string;
  readonly mountPath: string;
  readonly configJson: string;
  readonly maxBodyBytes: number;
  readonly features: readonly string[];
}

export interface ReadyMessage {
  readonly type: "ready";
  readonly id: number;
  readonly routeCount: number;
}

export interface RequestMessage {
  readonly type: "request";
  readonly id: number;
  readonly method: string;
  readonly url: string;
  /** Flat encoding, see wire-headers.ts. */
  readonly headers: string;
  readonly body: Uint8Array;
  readonly remoteAddress: string;
}

export interface ResponseMessage {
  readonly type: "response";
  readonly id: number;
  readonly status: number;
  /** Flat encoding, see wire-headers.ts. */
  readonly headers: string;
  readonly body: Uint8Array;
}

export interface PingMessage {
  readonly type: "ping";
  readonly id: number;
}

export interface PongMessage {
  readonly type: "pong";
  readonly id: number;
}

export interface ShutdownMessage {
  readonly type: "shutdown";
  readonly id: number;
  readonly reason: string;
  readonly deadlineMs: number;
}

export interface ShutdownCompleteMessage {
  readonly type: "shutdownComplete";
  readonly id: number;
}

export interface LogMessage {
  readonly type: "log";
  readonly id: number;
  readonly level: LogLevel;
  readonly message: string;
  /** A JSON object, or "" for none. */
  readonly fieldsJson: string;
  readonly timeMs: number;
}

export interface ErrorMessage {
  readonly type: "error";
  readonly id: number;
  readonly code: string;
  readonly message: string;
  /** Postgres' SQLSTATE for database errors, "" otherwise. */
  readonly sqlState?: string;
}

export interface QueryMessage {
  readonly type: "query";
  readonly id: number;
  readonly sql: string;
  /** JSON array in the typed-value encoding of sql-values.ts. */
  readonly paramsJson: string;
  /** 0 outside a transaction. */
  readonly transactionId: number;
  /** The W3C traceparent of the request the statement was sent for; absent outside a request. */
  readonly traceparent?: string;
}

export interface QueryResultMessage {
  readonly type: "queryResult";
  readonly id: number;
  /** JSON array of row objects in the typed-value encoding of sql-values.ts. */
  readonly rowsJson: string;
  readonly rowCount: number;
  readonly command: string;
  readonly transactionId: number;
}

export const TRANSACTION_ACTIONS = ["begin", "commit", "rollback"] as const;
export type TransactionAction = typeof TRANSACTION_ACTIONS[number];

export interface TransactionMessage {
  readonly type: "transaction";
  readonly id: number;
  readonly action: TransactionAction;
  readonly transactionId: number;
}

export const MIGRATE_ACTIONS = ["status", "latest", "down"] as const;
export type MigrateAction = typeof MIGRATE_ACTIONS[number];

export interface MigrateMessage {
  readonly type: "migrate";
  readonly id: number;
  readonly action: MigrateAction;
}

export interface MigrateResultMessage {
  readonly type: "migrateResult";
  readonly id: number;
  /** {"applied": [...], "pending": [...], "executed": [{ name, direction, status }]} */
  readonly resultJson: string;
}

/**
 * Either way (feature "calls"): run the named method on the other side. The payload is one JSON
 * value ("" for null). Methods and their payloads are listed in docs/protocol.md.
 */
export interface CallMessage {
  readonly type: "call";
  readonly id: number;
  readonly method: string;
  readonly payloadJson: string;
}

/** Either way: the answer to the `call` with the same id. */
export interface CallResultMessage {
  readonly type: "callResult";
  readonly id: number;
  readonly payloadJson: string;
}

/** What the plugin side may send. Anything else arriving at the host is a protocol violation. */
export type PluginToHost =
  | HelloMessage
  | ReadyMessage
  | ResponseMessage
  | PongMessage
  | ShutdownCompleteMessage
  | LogMessage
  | ErrorMessage
  | QueryMessage
  | TransactionMessage
  | MigrateResultMessage
  | CallMessage
  | CallResultMessage;

/** What the host may send. */
export type HostToPlugin =
  | InitMessage
  | RequestMessage
  | PingMessage
  | ShutdownMessage
  | ErrorMessage
  | QueryResultMessage
  | MigrateMessage
  | CallMessage
  | CallResultMessage;
