/**
 * The runner's own questions to the host (database queries, transaction steps, service calls): it picks
 * their ids, sends them, and matches each `queryResult` or `error` the host answers with to the
 * call that asked, within a time limit.
 *
 * @module
 */

import { CorralError, ErrorCode } from "../schemas/errors.ts";
import type {
  CallMessage,
  CallResultMessage,
  ErrorMessage,
  QueryMessage,
  QueryResultMessage,
  TransactionMessage,
} from "../schemas/messages.ts";

/** A frame the runner sends to ask the host something. */
type AskFrame = QueryMessage | TransactionMessage | CallMessage;

/** A call the runner makes, before it has an id. */
export type HostCall = Omit<QueryMessage, "id"> | Omit<TransactionMessage, "id"> | Omit<CallMessage, "id">;

/** What the host answers a call with. */
export type HostReply = QueryResultMessage | CallResultMessage | ErrorMessage;

/**
 * A safety net, not a policy: the host bounds every statement itself (the plugin's `timeoutMs`,
 * and 10 s to get a connection), so a call still unanswered after this means the host is gone or
 * broken, and the plugin should hear so rather than hang.
 */
export const DEFAULT_HOST_CALL_TIMEOUT_MS = 120_000;

/** Frame ids are UInt32; a plugin that sends 10 000 statements a second reaches this in five days. */
const MAX_ID = 0xffff_ffff;

interface Pending {
  readonly resolve: (reply: HostReply) => void;
  readonly reject: (error: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * Ids start at 1 and only grow, in the runner's own id space (the host's `request` ids are
 * separate: each side picks ids for what it asks); after 2^32 - 1 they start again at 1, skipping
 * ids still waiting. A reply to an id this runner has used but no longer waits for (it timed
 * out) is dropped; a reply to an id it never used is a protocol violation, which
 * {@linkcode HostCalls.settle} reports by returning `false`.
 *
 * @example
 * ```ts
 * const calls = new HostCalls((frame) => session.send(frame));
 * const reply = await calls.call({ type: "transaction", action: "begin", transactionId: 0 });
 * if (reply.type === "queryResult") console.log("transaction", reply.transactionId);
 * ```
 */
export class HostCalls {
  readonly #send: (frame: AskFrame) => void;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #lastId = 0;
  #wrapped = false;
  #closed: string | undefined;

  /**
   * @param send Writes one call frame to the host.
   * @param timeoutMs How long a call waits for its answer.
   * @param lastId The id before the first call's (tests start near the wrap-around with it).
   */
  constructor(send: (frame: AskFrame) => void, timeoutMs = DEFAULT_HOST_CALL_TIMEOUT_MS, lastId = 0) {
    this.#send = send;
    this.#timeoutMs = timeoutMs;
    this.#lastId = lastId;
  }

  /** Calls waiting for their answer. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Sends `call` with a new id and resolves with the host's answer (`queryResult`, `callResult`
   * or `error`). Rejects with a `CorralError` when no answer comes within the time limit or the
   * session ends first: `CORRAL_E_DB_UNAVAILABLE` for database calls, `CORRAL_E_CALL_TIMEOUT`
   * for service calls.
   */
  call(call: HostCall): Promise<HostReply> {
    const unavailable = call.type === "call" ? ErrorCode.CALL_TIMEOUT : ErrorCode.DB_UNAVAILABLE;
    if (this.#closed !== undefined) {
      return Promise.reject(new CorralError(unavailable, `cannot ask the host: ${this.#closed}`));
    }
    const id = this.#nextId();
    return new Promise<HostReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new CorralError(unavailable, `the host did not answer ${describe(call)} (id ${id}) within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#send({ ...call, id } as AskFrame);
    });
  }

  /**
   * Hands the host's answer to the call with its id. Returns `false` when the runner never used
   * that id (the caller ends the session); an answer that comes after its call timed out is dropped.
   */
  settle(reply: HostReply): boolean {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return reply.id >= 1 && (this.#wrapped || reply.id <= this.#lastId);
    this.#pending.delete(reply.id);
    clearTimeout(pending.timer);
    pending.resolve(reply);
    return true;
  }

  #nextId(): number {
    do {
      if (this.#lastId === MAX_ID) {
        this.#lastId = 0;
        this.#wrapped = true;
      }
      this.#lastId++;
    } while (this.#pending.has(this.#lastId));
    return this.#lastId;
  }

  /** Fails every waiting call and every later one: the session is ending. */
  close(reason: string): void {
    this.#closed ??= reason;
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new CorralError(ErrorCode.DB_UNAVAILABLE, `call ${id} abandoned: ${reason}`));
    }
    this.#pending.clear();
  }
}

function describe(call: HostCall): string {
  if (call.type === "call") return `"${call.method}"`;
  return call.type === "query" ? "a query" : `transaction ${call.action}`;
}
