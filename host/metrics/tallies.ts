/**
 * Counters and a histogram for what happens once per request, kept as plain numbers per label
 * set and turned into prom-client's exposition only when Prometheus scrapes.
 *
 * Why not prom-client's own Counter and Histogram: their inc() and observe() hash the label
 * object on every call (sorting its keys), ~0.65 µs for the four updates of one request on the
 * host's only thread (D33-perf). Here an update is one Map lookup by a key the caller joins from
 * the label values, in labelNames order. The exposition is the same: each class is registered in
 * the host's Registry as a metric object (name, help, type, get, reset), the interface
 * prom-client's registry reads.
 */
import type { Registry } from "prom-client";

type Values = Record<string, string | number>;

interface CounterEntry {
  readonly labels: Values;
  value: number;
}

interface HistogramEntry {
  readonly labels: Values;
  /** Observations per bucket (not cumulative); the last slot is above every bound (+Inf). */
  readonly counts: number[];
  sum: number;
  count: number;
}

interface MetricSpec {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly registers: readonly Registry[];
}

/** Joins label values into a tally key: "\u0000" appears in no plugin name, method or code. */
export function tallyKey(...values: readonly string[]): string {
  return values.join("\u0000");
}

abstract class Tally<E> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = "sum" as const;
  readonly labelNames: readonly string[];
  protected readonly entries = new Map<string, E>();

  constructor(spec: MetricSpec) {
    this.name = spec.name;
    this.help = spec.help;
    this.labelNames = spec.labelNames;
    // prom-client's registry takes any object with this shape (it calls get() and reset()).
    for (const registry of spec.registers) registry.registerMetric(this as never);
  }

  reset(): void {
    this.entries.clear();
  }

  /** The entry for `key`, made with `values` (in labelNames order) the first time. */
  protected entry(key: string, values: readonly string[]): E {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      const labels: Values = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]!));
      entry = this.newEntry(labels);
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** A fresh entry for a label set seen for the first time. */
  protected abstract newEntry(labels: Values): E;
}

/** A monotonic counter per label set. */
export class TallyCounter extends Tally<CounterEntry> {
  readonly type = "counter" as const;

  /** Adds `by` to the series whose label values (labelNames order) are `values`, joined as `key`. */
  inc(key: string, values: readonly string[], by = 1): void {
    this.entry(key, values).value += by;
  }

  protected newEntry(labels: Values): CounterEntry {
    return { labels, value: 0 };
  }

  get(): Promise<object> {
    const values = [...this.entries.values()].map(({ labels, value }) => ({ labels, value }));
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }
}

/** A histogram per label set, with fixed upper bounds (seconds, for instance). */
export class TallyHistogram extends Tally<HistogramEntry> {
  readonly type = "histogram" as const;
  readonly #bounds: readonly number[];

  constructor(spec: MetricSpec & { readonly buckets: readonly number[] }) {
    super(spec);
    this.#bounds = [...spec.buckets].sort((a, b) => a - b);
  }

  observe(key: string, values: readonly string[], value: number): void {
    const entry = this.entry(key, values);
    const bounds = this.#bounds;
    let slot = 0;
    while (slot < bounds.length && value > bounds[slot]!) slot++;
    entry.counts[slot]!++;
    entry.sum += value;
    entry.count++;
  }

  protected newEntry(labels: Values): HistogramEntry {
    return { labels, counts: new Array<number>(this.#bounds.length + 1).fill(0), sum: 0, count: 0 };
  }

  get(): Promise<object> {
    const values: object[] = [];
    for (const { labels, counts, sum, count } of this.entries.values()) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += counts[i]!;
        values.push({ labels: { le: bound, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: "+Inf", ...labels }, value: count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }
}
