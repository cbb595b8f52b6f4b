/**
 * The questions one plugin process has not answered yet (requests, migrations, calls), each with
 * its deadline, under ONE timer per process instead of a setTimeout per question.
 *
 * Why: a setTimeout/clearTimeout pair, the closures around it and the name helper tsx adds to
 * each closure cost ~1-3 µs of the host's main thread per forwarded request (D29-perf). Here a
 * question is one small object; the timer is armed for the earliest deadline and only re-armed
 * when it fires or a question with an earlier deadline comes in, so a steady stream of requests
 * arms no timer at all. Deadlines fire when due, not on a coarse sweep.
 */
import { CorralError, type ErrorCodeValue } from "../../schemas/errors.ts";

/** The longest delay setTimeout takes (2^31 - 1 ms); a longer one fires at once, with a warning. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One question waiting for its answer. */
export class Question<T> {
  constructor(
    readonly resolve: (answer: T) => void,
    readonly reject: (error: CorralError) => void,
    /** performance.now() after which the question expires. */
    readonly deadline: number,
    /** The error code it expires with (REQUEST_TIMEOUT, CALL_TIMEOUT...). */
    readonly timeoutCode: ErrorCodeValue,
    /** What was not answered, for the timeout's message; a function is called only if it expires. */
    readonly what: string | (() => string),
  ) {}
}

/** What expiring needs of a question, whatever its answer's type. */
export type Expiring = Pick<Question<unknown>, "reject" | "timeoutCode" | "what">;

/** A set of pending questions by id, expiring through the {@linkcode Deadlines} it belongs to. */
export class Questions<T> {
  readonly #byId = new Map<number, Question<T>>();

  get size(): number {
    return this.#byId.size;
  }

  get(id: number): Question<T> | undefined {
    return this.#byId.get(id);
  }

  set(id: number, question: Question<T>): void {
    this.#byId.set(id, question);
  }

  /** The question under `id`, taken out; undefined when it is not pending. */
  take(id: number): Question<T> | undefined {
    const question = this.#byId.get(id);
    if (question !== undefined) this.#byId.delete(id);
    return question;
  }

  values(): IterableIterator<Question<T>> {
    return this.#byId.values();
  }

  clear(): void {
    this.#byId.clear();
  }

  /** Calls `expire(id, question)` for each question due at `now` (after taking it out); returns the earliest deadline left. */
  expireDue(now: number, expire: (id: number, question: Expiring) => void): number {
    let next = Infinity;
    for (const [id, question] of this.#byId) {
      if (question.deadline <= now) {
        this.#byId.delete(id);
        expire(id, question);
      } else if (question.deadline < next) {
        next = question.deadline;
      }
    }
    return next;
  }
}

/**
 * The one timer of a process: `sweep(now)` expires what is due and returns the earliest deadline
 * left (Infinity for none); `due(deadline)` is called for each new question.
 */
export class Deadlines {
  readonly #sweep: (now: number) => number;
  #timer: NodeJS.Timeout | undefined;
  #armedFor = Infinity;

  constructor(sweep: (now: number) => number) {
    this.#sweep = sweep;
  }

  /** A question with this deadline is pending: make sure the timer fires by then. */
  due(deadline: number): void {
    if (deadline >= this.#armedFor) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#arm(deadline);
  }

  /** Stops the timer (the process ended; its questions were settled). */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
  }

  #arm(deadline: number): void {
    this.#armedFor = deadline;
    // +1: setTimeout may fire a fraction of a millisecond early against performance.now(). A
    // deadline past setTimeout's range (commands run with "no timeout" as 2^31 ms) is re-armed
    // by the sweep when the longest timer fires.
    this.#timer = setTimeout(this.#fire, Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(deadline - performance.now())) + 1));
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const next = this.#sweep(performance.now());
    // A question added while sweeping may have armed the timer already, for a later deadline.
    if (next < this.#armedFor) this.due(next);
  };
}
