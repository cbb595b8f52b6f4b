/**
 * The secure headers every response gets (nosniff, frame and referrer policies, a CSP, …),
 * precomputed once; a response that sets one of them itself keeps its own value.
 */

export class SecureHeaders {
  /** Name, value, name, value, … ready to push onto a header list for writeHead. */
  readonly #flat: readonly string[];
  readonly #names: ReadonlySet<string>;

  /** `headers`: lower-case name to value (the policy's `http.secureHeaders`). */
  constructor(headers: Readonly<Record<string, string>>) {
    this.#flat = Object.freeze(Object.entries(headers).flat());
    this.#names = new Set(Object.keys(headers));
  }

  /** Whether `name` (lower-case) is one of the host's secure headers. */
  has(name: string): boolean {
    return this.#names.has(name);
  }

  /** Appends every secure header to a flat list, except those named in `own` (the response's). */
  appendTo(out: string[], own: ReadonlySet<string> | undefined): void {
    const flat = this.#flat;
    for (let i = 0; i < flat.length; i += 2) {
      if (own === undefined || !own.has(flat[i]!)) out.push(flat[i]!, flat[i + 1]!);
    }
  }

  /** Sets every secure header that `headers` does not have (a Response's, a header record's). */
  applyTo(headers: { has(name: string): boolean; set(name: string, value: string): void }): void {
    const flat = this.#flat;
    for (let i = 0; i < flat.length; i += 2) {
      if (!headers.has(flat[i]!)) headers.set(flat[i]!, flat[i + 1]!);
    }
  }
}
