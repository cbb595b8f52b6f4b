/**
 * One subscriber's bounded queue of events and its delivery loop: one event at a time, in the
 * order they were queued, through the plugin's `events.deliver` entry point. Nothing here ever
 * makes an emitter wait: a full queue drops the new event, and a failed delivery is counted,
 * logged and left behind (at most once).
 */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { DELIVER_METHOD, type DeliveredEvent } from "../../schemas/events.ts";
import type { Logger } from "../logger.ts";
import { type EventPeer, willDeliver } from "./peer.ts";

/**
 * Bytes of payload one subscriber's queue may hold, whatever its `queueSize`: with 64 KiB
 * payloads and the largest queueSize (10 000) a queue could otherwise hold 640 MB.
 */
export const MAX_QUEUE_BYTES = 16 * 1024 * 1024;

/** One subscriber's counters: monotonic except `queued`, the current depth. */
export interface SubscriberCounters {
  readonly delivered: number;
  readonly dropped: number;
  readonly failed: number;
  readonly queued: number;
  readonly queueSize: number;
}

interface Queued {
  readonly event: DeliveredEvent;
  readonly bytes: number;
}

export class SubscriberQueue {
  readonly peer: EventPeer;
  readonly #log: Logger;
  readonly #capacity: number;
  readonly #maxBytes: number;
  #items: Queued[] = [];
  #bytes = 0;
  #delivered = 0;
  #dropped = 0;
  #failed = 0;
  /** Drops since the queue last accepted an event: only the first of a run is logged. */
  #dropRun = 0;
  #pumping = false;

  /** @param log The subscriber's own logger, so every record names it. */
  constructor(peer: EventPeer, log: Logger, maxBytes = MAX_QUEUE_BYTES) {
    this.peer = peer;
    this.#log = log;
    this.#capacity = peer.manifest.events.queueSize;
    this.#maxBytes = maxBytes;
  }

  /**
   * Queues `event` (`bytes`: its payload's JSON size) and starts delivering if idle. Returns
   * false when it was dropped: the subscriber is failed or stopped, or its queue is full.
   */
  offer(event: DeliveredEvent, bytes: number): boolean {
    const state = this.peer.state;
    if (!willDeliver(state)) {
      this.#drop(event, `plugin "${this.peer.name}" is ${state}`);
      return false;
    }
    if (this.#items.length >= this.#capacity || this.#bytes + bytes > this.#maxBytes) {
      const full = this.#items.length >= this.#capacity
        ? `its queue is full (${this.#capacity} events waiting: events.queueSize)`
        : `its queue holds ${this.#bytes} bytes of payloads (at most ${this.#maxBytes})`;
      this.#drop(event, full);
      return false;
    }
    if (this.#dropRun > 0) {
      this.#log.info("event queue has room again", { droppedMeanwhile: this.#dropRun });
      this.#dropRun = 0;
    }
    this.#items.push({ event, bytes });
    this.#bytes += bytes;
    void this.#pump();
    return true;
  }

  /**
   * The subscriber's state changed: a ready one gets what waited for it; a failed or stopped one
   * will not take deliveries, so what waits is dropped (and counted).
   */
  stateChanged(): void {
    const state = this.peer.state;
    if (state === "ready") {
      // Not synchronously: the supervisor is still inside its own state change.
      queueMicrotask(() => void this.#pump());
      return;
    }
    if (willDeliver(state) || this.#items.length === 0) return;
    const waiting = this.#items;
    this.#items = [];
    this.#bytes = 0;
    this.#dropped += waiting.length;
    this.#log.warn("queued events dropped", { count: waiting.length, reason: `plugin "${this.peer.name}" is ${state}` });
  }

  counters(): SubscriberCounters {
    return {
      delivered: this.#delivered,
      dropped: this.#dropped,
      failed: this.#failed,
      queued: this.#items.length,
      queueSize: this.#capacity,
    };
  }

  #drop(event: DeliveredEvent, reason: string): void {
    this.#dropped++;
    if (this.#dropRun++ === 0) {
      this.#log.warn("event dropped; more drops are counted in /health but not logged until the queue has room again", {
        event: event.name, id: event.id, from: event.from, reason,
      });
    }
  }

  /** Delivers one event at a time while the subscriber is ready; re-entry is a no-op. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#items.length > 0 && (this.peer.state === "ready" || this.peer.state === "idle")) {
        const item = this.#items.shift()!;
        this.#bytes -= item.bytes;
        try {
          await this.peer.call(DELIVER_METHOD, item.event, this.peer.grants.timeoutMs);
          this.#delivered++;
        } catch (error) {
          if (error instanceof CorralError && error.code === ErrorCode.PLUGIN_UNAVAILABLE && willDeliver(this.peer.state)) {
            // Never reached the plugin (it just ended or is starting): it waits for the next ready.
            this.#items.unshift(item);
            this.#bytes += item.bytes;
            return;
          }
          this.#failed++;
          this.#log.warn("event delivery failed; the event is not retried", {
            event: item.event.name,
            id: item.event.id,
            from: item.event.from,
            code: error instanceof CorralError ? error.code : ErrorCode.CALL_FAILED,
            error: (error as Error).message,
          });
        }
      }
    } finally {
      this.#pumping = false;
    }
  }
}
