/**
 * Extension points: the owner of a point gathers the contributions of every plugin that
 * contributes to it, each called concurrently and bounded by the point's timeout. A gathering
 * never fails as a whole: a slow, failing or stopped contributor becomes an error entry.
 */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { CONTRIBUTE_METHOD, type Contribution, type ContributeRequest } from "../../schemas/events.ts";
import type { Logger } from "../logger.ts";
import type { EventPeer } from "./peer.ts";

/** One point's counters, for /health and a metrics exporter. */
export interface ExtensionPointCounters {
  /** Plugins that declare it (normally one). */
  readonly owners: readonly string[];
  /** Plugins that contribute to it, by name. */
  readonly contributors: readonly string[];
  readonly gathers: number;
  /** Contributions answered with a value. */
  readonly values: number;
  /** Contributions answered with an error (threw, timed out, not ready). */
  readonly errors: number;
}

export class ExtensionPoints {
  readonly #peers: () => Iterable<EventPeer>;
  readonly #log: Logger;
  readonly #counts = new Map<string, { gathers: number; values: number; errors: number }>();

  constructor(peers: () => Iterable<EventPeer>, log: Logger) {
    this.#peers = peers;
    this.#log = log;
  }

  /**
   * Calls `extensions.contribute` on every contributor of `point` (including the owner, when it
   * contributes too) and answers their values and errors, ordered by plugin name. The caller has
   * checked that `owner` declares the point; its `timeoutMs` bounds each contributor.
   */
  async gather(owner: string, point: string, timeoutMs: number, args: unknown): Promise<Contribution[]> {
    const contributors = [...this.#peers()]
      .filter((peer) => peer.manifest.contributes.includes(point))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const request: ContributeRequest = { point, args };
    const results = await Promise.all(contributors.map(async (peer): Promise<Contribution> => {
      try {
        const value = await peer.call(CONTRIBUTE_METHOD, request, timeoutMs);
        return { plugin: peer.name, value: value ?? null };
      } catch (error) {
        const code = error instanceof CorralError ? error.code : ErrorCode.CALL_FAILED;
        const message = (error as Error).message;
        this.#log.forPlugin(peer.name).warn("contribution failed", { point, owner, code, error: message });
        return { plugin: peer.name, error: { code, message } };
      }
    }));
    const counts = this.#counts.get(point) ?? { gathers: 0, values: 0, errors: 0 };
    counts.gathers++;
    for (const result of results) "value" in result ? counts.values++ : counts.errors++;
    this.#counts.set(point, counts);
    return results;
  }

  /** Every point declared or contributed to by a loaded plugin, with its counters. */
  counters(): Record<string, ExtensionPointCounters> {
    const points = new Map<string, { owners: string[]; contributors: string[] }>();
    const entry = (point: string) => {
      let value = points.get(point);
      if (value === undefined) points.set(point, value = { owners: [], contributors: [] });
      return value;
    };
    for (const peer of this.#peers()) {
      for (const point of Object.keys(peer.manifest.extensionPoints)) entry(point).owners.push(peer.name);
      for (const point of peer.manifest.contributes) entry(point).contributors.push(peer.name);
    }
    const out: Record<string, ExtensionPointCounters> = {};
    for (const [point, { owners, contributors }] of [...points].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const counts = this.#counts.get(point) ?? { gathers: 0, values: 0, errors: 0 };
      out[point] = { owners: owners.sort(), contributors: contributors.sort(), ...counts };
    }
    return out;
  }
}
