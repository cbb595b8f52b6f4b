/** A plugin's logger whose records also name the instance, for plugins that run several. */
import { Logger } from "../logger.ts";
import type { Level } from "../logger.ts";

export class InstanceLogger extends Logger {
  readonly #inner: Logger;
  readonly #instance: number;

  constructor(inner: Logger, instance: number) {
    // The base's own sink is never used: every record goes through `inner`, which filters by level.
    super({ level: "debug", sink: () => undefined });
    this.#inner = inner;
    this.#instance = instance;
  }

  override forPlugin(name: string): Logger {
    return this.#inner.forPlugin(name);
  }

  override log(level: Level, message: string, fields?: Record<string, unknown>, time = new Date()): void {
    this.#inner.log(level, message, { ...fields, instance: this.#instance }, time);
  }
}
