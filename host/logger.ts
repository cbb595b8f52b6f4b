/**
 * The host's structured logger: one line per record, JSON unless stdout is a terminal.
 *
 * Plugin records come through the same logger with a `plugin` field, so an operator can follow
 * one plugin with `grep '"plugin":"notes"'`.
 */
import { writeStdoutLine } from "./stdout-lines.ts";

export type Level = "debug" | "info" | "warn" | "error";

const LEVEL_RANK: Readonly<Record<Level, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** One log record as kept in memory and printed. */
export interface LogRecord {
  readonly time: string;
  readonly level: Level;
  readonly message: string;
  readonly plugin?: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

/** Where finished lines go; swapped out in tests. */
export type LogSink = (line: string, record: LogRecord) => void;

export interface LoggerOptions {
  readonly level?: Level;
  readonly pretty?: boolean;
  readonly sink?: LogSink;
}

/** Also gets every record written (e.g. the admin API's per-plugin log ring, host/admin/log-ring.ts). */
export type LogListener = (record: LogRecord) => void;

/** A logger bound to an optional plugin name. */
export class Logger {
  readonly #minRank: number;
  readonly #pretty: boolean;
  readonly #sink: LogSink;
  readonly #plugin: string | undefined;
  /** Shared with every logger made by forPlugin, so one listener hears them all. */
  readonly #listeners: Set<LogListener>;

  constructor(options: LoggerOptions = {}, plugin?: string, listeners: Set<LogListener> = new Set()) {
    this.#minRank = LEVEL_RANK[options.level ?? "info"];
    this.#pretty = options.pretty ?? false;
    this.#sink = options.sink ?? writeStdoutLine;
    this.#plugin = plugin;
    this.#listeners = listeners;
  }

  /** A logger whose records carry `plugin: name`. */
  forPlugin(name: string): Logger {
    return new Logger(
      { level: rankToLevel(this.#minRank), pretty: this.#pretty, sink: this.#sink },
      name,
      this.#listeners,
    );
  }

  /** Calls `listener` with every record this logger and its forPlugin loggers write; returns the unsubscribe. */
  onRecord(listener: LogListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.log("debug", message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.log("info", message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.log("warn", message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.log("error", message, fields);
  }

  log(level: Level, message: string, fields?: Record<string, unknown>, time = new Date()): void {
    if (LEVEL_RANK[level] < this.#minRank) return;
    const iso = isoTime(time);
    const plugin = this.#plugin;
    // One shape per combination, without spreads: the access log makes one record per request.
    const record: LogRecord = plugin === undefined
      ? (fields === undefined ? { time: iso, level, message } : { time: iso, level, message, fields })
      : (fields === undefined ? { time: iso, level, message, plugin } : { time: iso, level, message, plugin, fields });
    this.#sink(this.#pretty ? formatPretty(record) : jsonLine(record), record);
    for (const listener of this.#listeners) listener(record);
  }
}

let lastTimeMs = NaN;
let lastIso = "";

/** `time.toISOString()`, computed once per millisecond: at thousands of records a second most share one. */
function isoTime(time: Date): string {
  const ms = time.getTime();
  if (ms !== lastTimeMs) {
    lastTimeMs = ms;
    lastIso = time.toISOString();
  }
  return lastIso;
}

/**
 * `JSON.stringify(record)`, byte for byte, in parts: the time, level and plugin name need no
 * escaping (an ISO date, a level name, a manifest name), so only the message and the fields go
 * through the serializer.
 */
function jsonLine(record: LogRecord): string {
  let line = `{"time":"${record.time}","level":"${record.level}","message":${JSON.stringify(record.message)}`;
  if (record.plugin !== undefined) line += `,"plugin":${JSON.stringify(record.plugin)}`;
  if (record.fields !== undefined) line += `,"fields":${JSON.stringify(record.fields)}`;
  return line + "}";
}

function rankToLevel(rank: number): Level {
  return (Object.keys(LEVEL_RANK) as Level[]).find((level) => LEVEL_RANK[level] === rank) ?? "info";
}

function formatPretty(record: LogRecord): string {
  const tag = record.plugin === undefined ? "" : ` [${record.plugin}]`;
  const fields = record.fields === undefined
    ? ""
    : " " + Object.entries(record.fields).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ");
  return `${record.time.slice(11, 23)} ${record.level.toUpperCase().padEnd(5)}${tag} ${record.message}${fields}`;
}
