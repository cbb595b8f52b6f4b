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

/** A logger bound to an optional plugin name. */
export class Logger {
  readonly #minRank: number;
  readonly #pretty: boolean;
  readonly #sink: LogSink;
  readonly #plugin: string | undefined;

  constructor(options: LoggerOptions = {}, plugin?: string) {
    this.#minRank = LEVEL_RANK[options.level ?? "info"];
    this.#pretty = options.pretty ?? false;
    this.#sink = options.sink ?? writeStdoutLine;
    this.#plugin = plugin;
  }

  /** A logger whose records carry `plugin: name`. */
  forPlugin(name: string): Logger {
    return new Logger(
      { level: rankToLevel(this.#minRank), pretty: this.#pretty, sink: this.#sink },
      name,
    );
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
    const record: LogRecord = {
      time: time.toISOString(),
      level,
      message,
      ...(this.#plugin === undefined ? {} : { plugin: this.#plugin }),
      ...(fields === undefined ? {} : { fields }),
    };
    this.#sink(this.#pretty ? formatPretty(record) : JSON.stringify(record), record);
  }
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
