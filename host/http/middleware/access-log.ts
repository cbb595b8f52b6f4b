/**
 * The access log: one `request` record per request, through the host's logger, tagged with the
 * plugin that answered it (records for the host's own routes have no plugin).
 */
import type { Logger } from "../../logger.ts";

/** The fields of one access record (docs/http.md#access-log). */
export interface AccessRecord {
  readonly method: string;
  /** The URL path without its query string, which may carry secrets. */
  readonly path: string;
  /** The status sent; 0 when the client went away before any was. */
  readonly status: number;
  /** From the request's arrival to the last byte handed to the connection, in milliseconds. */
  readonly durationMs: number;
  /** Request body bytes. */
  readonly bytesIn: number;
  /** Response bytes written to the connection, status line and headers included. */
  readonly bytesOut: number;
  readonly requestId: string;
  readonly remoteAddress: string;
  /** "hit" or "miss" when the response cache was asked. */
  readonly cache?: "hit" | "miss";
  /** True when the client closed the connection before the response was complete. */
  readonly aborted?: true;
}

/** The message of every access record, to filter on. */
export const ACCESS_MESSAGE = "request";

export class AccessLog {
  readonly #log: Logger;
  /** One logger per plugin name, made once: forPlugin() builds a new one per call. */
  readonly #pluginLogs = new Map<string, Logger>();

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Writes a record, under `plugin` (a loaded plugin's name) when a plugin answered. */
  write(plugin: string | undefined, record: AccessRecord): void {
    let log = this.#log;
    if (plugin !== undefined) {
      let pluginLog = this.#pluginLogs.get(plugin);
      if (pluginLog === undefined) {
        pluginLog = this.#log.forPlugin(plugin);
        this.#pluginLogs.set(plugin, pluginLog);
      }
      log = pluginLog;
    }
    log.info(ACCESS_MESSAGE, record as unknown as Record<string, unknown>);
  }
}

/** "/plugins/notes/list?token=x" -> "/plugins/notes/list". */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return "";
  const query = url.indexOf("?");
  return query < 0 ? url : url.slice(0, query);
}
