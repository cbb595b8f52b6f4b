/**
 * A plugin's recent state changes, each with when and why, kept in memory for /health and the
 * admin API. Bounded: an endlessly crashing plugin must not grow the host's memory; the host
 * database keeps a longer (also bounded) record.
 */
/**
 * One state change: from what, to what, when, and why (crash reason, limit, operator action...).
 * States are the supervisor's `PluginState` names, typed as text here so this module does not
 * import the supervisor that imports it.
 */
export interface StateChange {
  readonly at: string;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

/** How many changes each plugin keeps in memory. */
export const STATE_HISTORY_LIMIT = 50;

export class StateHistory {
  readonly #limit: number;
  readonly #changes: StateChange[] = [];

  constructor(limit = STATE_HISTORY_LIMIT) {
    this.#limit = limit;
  }

  record(change: StateChange): void {
    this.#changes.push(change);
    if (this.#changes.length > this.#limit) this.#changes.splice(0, this.#changes.length - this.#limit);
  }

  /** Oldest first. */
  list(): readonly StateChange[] {
    return [...this.#changes];
  }
}
