/**
 * The host's event bus: stamps each accepted event (id, time, source), queues it for every
 * plugin whose manifest subscribes to its name, and keeps the counters /health shows. Emitting
 * is synchronous and never waits for a subscriber.
 */
import { type DeliveredEvent, type EmitReceipt, matchesEvent } from "../../schemas/events.ts";
import type { Logger } from "../logger.ts";
import type { EventPeer } from "./peer.ts";
import { type SubscriberCounters, SubscriberQueue } from "./subscriber-queue.ts";

/** The bus's counters, for /health and a metrics exporter. */
export interface EventCounters {
  /** Events accepted, by emitter ("corral" for the host's own). */
  readonly emitted: Readonly<Record<string, number>>;
  /** Per plugin that subscribes to anything, by name. */
  readonly subscribers: Readonly<Record<string, SubscriberCounters>>;
}

export class EventBus {
  readonly #peers: () => Iterable<EventPeer>;
  readonly #log: Logger;
  readonly #queues = new Map<string, SubscriberQueue>();
  readonly #emitted = new Map<string, number>();
  #lastId = 0;

  /**
   * @param peers The plugins loaded now (read at every emit, so plugins added or removed later count).
   * @param log The host's logger; each subscriber's records go through `log.forPlugin(name)`.
   */
  constructor(peers: () => Iterable<EventPeer>, log: Logger) {
    this.#peers = peers;
    this.#log = log;
  }

  /**
   * Accepts an event from `from` (a plugin's name, or "corral") and queues it for its
   * subscribers. The caller has checked that `from` may emit `name`; `payloadBytes` is the size
   * of the payload's JSON.
   */
  emit(from: string, name: string, payload: unknown, payloadBytes: number): EmitReceipt {
    const event: DeliveredEvent = Object.freeze({ id: ++this.#lastId, name, payload, from, time: new Date().toISOString() });
    this.#emitted.set(from, (this.#emitted.get(from) ?? 0) + 1);
    let queued = 0;
    for (const peer of this.#peers()) {
      if (!peer.manifest.events.subscribes.some((pattern) => matchesEvent(pattern, name))) continue;
      if (this.#queueOf(peer).offer(event, payloadBytes)) queued++;
    }
    return { id: event.id, queued };
  }

  /** Tells `name`'s queue its plugin changed state (delivers what waited, or drops it). */
  stateChanged(name: string): void {
    this.#queues.get(name)?.stateChanged();
  }

  /** Forgets a plugin that is gone: its queue (what waits in it is dropped) and its counters. */
  forget(name: string): void {
    this.#queues.delete(name);
    this.#emitted.delete(name);
  }

  counters(): EventCounters {
    const subscribers: Record<string, SubscriberCounters> = {};
    for (const peer of this.#peers()) {
      if (peer.manifest.events.subscribes.length > 0) subscribers[peer.name] = this.#queueOf(peer).counters();
    }
    return { emitted: Object.fromEntries(this.#emitted), subscribers };
  }

  /** The queue of `peer`, made on first use; a new plugin under an old name gets a new one. */
  #queueOf(peer: EventPeer): SubscriberQueue {
    let queue = this.#queues.get(peer.name);
    if (queue === undefined || queue.peer !== peer) {
      queue = new SubscriberQueue(peer, this.#log.forPlugin(peer.name));
      this.#queues.set(peer.name, queue);
    }
    return queue;
  }
}
