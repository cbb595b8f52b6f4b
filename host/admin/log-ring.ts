/**
 * Each plugin's recent log records, kept in memory for "view logs" in the admin API and the
 * dashboard's recent errors. Bounded twice per plugin: the last records of every level, and the
 * last warnings and errors apart, so a burst of access records cannot push errors out.
 */
import type { Level, LogRecord } from "../logger.ts";

const LEVEL_RANK: Readonly<Record<Level, number>> = { debug: 10, info: 20, warn: 30, error: 40 };
export const LOG_LEVELS = Object.keys(LEVEL_RANK) as readonly Level[];

/** Per plugin: records of every level, and warnings and errors. */
export const DEFAULT_RING_SIZES = { all: 500, problems: 200 } as const;
/** A record's fields are cut to this many characters of JSON (a stack trace, a large object). */
const MAX_FIELDS_CHARS = 4000;

class Ring {
  readonly #items: (LogRecord | undefined)[];
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    this.#items = new Array<LogRecord | undefined>(capacity);
  }

  push(record: LogRecord): void {
    this.#items[this.#next] = record;
    this.#next = (this.#next + 1) % this.#items.length;
    this.#size = Math.min(this.#size + 1, this.#items.length);
  }

  /** Oldest first. */
  toArray(): LogRecord[] {
    const start = (this.#next - this.#size + this.#items.length) % this.#items.length;
    const out: LogRecord[] = [];
    for (let i = 0; i < this.#size; i++) out.push(this.#items[(start + i) % this.#items.length]!);
    return out;
  }
}

export class LogRing {
  readonly #all = new Map<string, Ring>();
  readonly #problems = new Map<string, Ring>();
  readonly #sizes: { readonly all: number; readonly problems: number };

  constructor(sizes: { readonly all: number; readonly problems: number } = DEFAULT_RING_SIZES) {
    this.#sizes = sizes;
  }

  /** Keeps `record` if it belongs to a plugin; for Logger.onRecord. */
  add(record: LogRecord): void {
    if (record.plugin === undefined) return;
    const kept = bounded(record);
    ringFor(this.#all, record.plugin, this.#sizes.all).push(kept);
    if (LEVEL_RANK[record.level] >= LEVEL_RANK.warn) ringFor(this.#problems, record.plugin, this.#sizes.problems).push(kept);
  }

  /** The newest records of `plugin` at `level` or above, newest first, at most `limit`. */
  recent(plugin: string, options: { readonly level?: Level; readonly limit?: number } = {}): LogRecord[] {
    const minRank = LEVEL_RANK[options.level ?? "debug"];
    const source = minRank >= LEVEL_RANK.warn ? this.#problems : this.#all;
    const records = source.get(plugin)?.toArray() ?? [];
    const limit = options.limit ?? 100;
    const out: LogRecord[] = [];
    for (let i = records.length - 1; i >= 0 && out.length < limit; i--) {
      if (LEVEL_RANK[records[i]!.level] >= minRank) out.push(records[i]!);
    }
    return out;
  }

  /** Forgets an uninstalled plugin's records. */
  drop(plugin: string): void {
    this.#all.delete(plugin);
    this.#problems.delete(plugin);
  }
}

function ringFor(rings: Map<string, Ring>, plugin: string, capacity: number): Ring {
  let ring = rings.get(plugin);
  if (ring === undefined) rings.set(plugin, (ring = new Ring(capacity)));
  return ring;
}

function bounded(record: LogRecord): LogRecord {
  if (record.fields === undefined || surelySmall(record.fields)) return record;
  const text = JSON.stringify(record.fields);
  if (text.length <= MAX_FIELDS_CHARS) return record;
  return { ...record, fields: { truncated: text.slice(0, MAX_FIELDS_CHARS) + "…" } };
}

/**
 * True when `fields` is flat (primitive values) and its JSON cannot exceed MAX_FIELDS_CHARS, by
 * an upper bound (a string's JSON is at most 6 chars per UTF-16 unit, "\u0000", plus quotes).
 * Every access-log record passes through here: this skips a second JSON.stringify per request
 * (the logger has already serialized the line). Anything nested is measured exactly, as before.
 */
function surelySmall(fields: Readonly<Record<string, unknown>>): boolean {
  let bound = 2;
  for (const key in fields) {
    const value = fields[key];
    bound += key.length * 6 + 4;
    if (typeof value === "string") bound += value.length * 6 + 2;
    else if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) bound += 24;
    else return false;
    if (bound > MAX_FIELDS_CHARS) return false;
  }
  return true;
}
