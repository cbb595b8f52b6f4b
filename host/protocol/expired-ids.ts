/**
 * Ids of questions the host stopped waiting for (a request or call that timed out, a ping that
 * got no pong in time), so that one late answer to each is accepted and dropped.
 *
 * Without it the host had to accept an answer to any id it ever used, and a plugin could send
 * the same stale reply forever: the hostile corpus's frame flood (hos-frame-flood) wrote ~10^6
 * pongs for an old id per second and made a neighbour plugin's requests 20× slower. With it, each
 * expired id is accepted once, and any other answer to an id that is not pending ends the plugin.
 */
export class ExpiredIds {
  readonly #ids = new Set<number>();
  readonly #capacity: number;

  /** `capacity`: the most ids remembered; the oldest is forgotten first (Set keeps insertion order). */
  constructor(capacity = 65_536) {
    this.#capacity = capacity;
  }

  add(id: number): void {
    this.#ids.add(id);
    if (this.#ids.size > this.#capacity) this.#ids.delete(this.#ids.values().next().value!);
  }

  /** True once for an id that expired, false for any other (never sent, answered, or answered twice). */
  take(id: number): boolean {
    return this.#ids.delete(id);
  }
}
