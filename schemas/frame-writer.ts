/**
 * Coalesces the frames one side sends within a turn of its event loop into one write.
 *
 * Under load the host forwards many requests in one poll phase and the runner finishes many
 * responses in one turn; a write per frame made the write syscalls the largest cost in the
 * host's profile (writeBuffer ~10% + writev ~7% of its CPU at 50 connections). Frames keep
 * their order; a lone frame is written as is, with no copy.
 *
 * @module
 */

import { concatBytes } from "./concat-bytes.ts";

/**
 * Queues frames and writes them together when `schedule` fires (Node and Deno: `setImmediate`,
 * which runs right after the current I/O callbacks).
 *
 * @example
 * ```ts
 * const writer = new FrameWriter((bytes) => socket.write(bytes), setImmediate);
 * writer.push(frameA);
 * writer.push(frameB); // both go out in one write, after the current callbacks
 * ```
 */
export class FrameWriter {
  readonly #write: (bytes: Uint8Array) => void;
  readonly #schedule: (flush: () => void) => unknown;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #scheduled = false;

  constructor(write: (bytes: Uint8Array) => void, schedule: (flush: () => void) => unknown) {
    this.#write = write;
    this.#schedule = schedule;
  }

  /** Bytes queued for the next flush. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /**
   * Queues one frame for the next flush. With `now`, the queue (if any) and this frame are written
   * at once: the caller knows nothing else is coming soon, and waiting would only add latency.
   */
  push(frame: Uint8Array, now = false): void {
    if (now && this.#queue.length === 0) {
      this.#write(frame);
      return;
    }
    this.#queue.push(frame);
    this.#queuedBytes += frame.byteLength;
    if (now) {
      this.flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      this.#schedule(() => this.flush());
    }
  }

  /** Writes everything queued now (also called by the scheduler). */
  flush(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    if (queue.length === 0) return;
    const size = this.#queuedBytes;
    this.#queue = [];
    this.#queuedBytes = 0;
    if (queue.length === 1) {
      this.#write(queue[0]!);
      return;
    }
    this.#write(concatBytes(queue, size));
  }
}
