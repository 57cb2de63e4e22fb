/**
 * Metric families whose series the caller holds on to. prom-client finds a series by hashing
 * and validating its labels on every inc or observe (2-3 µs each, a dozen per request); here a
 * series is found once, kept by the caller (see GatewayMetrics' series bundles), and counting
 * on it is an addition. The families register in a prom-client Registry like its own metrics,
 * so the exposition, its format and the cluster aggregation stay prom-client's.
 */
import type { Metric, Registry } from "prom-client";

export type Labels<L extends string> = Readonly<Record<L, string>>;

/** What prom-client's registry reads of a metric to write it out and to sum it across workers. */
interface Snapshot {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  values: { labels: Readonly<Record<string, string | number>>; value: number; metricName?: string }[];
  aggregator: "sum" | "max" | "min";
}

abstract class Family<L extends string, S> {
  private readonly all = new Map<string, { labels: Labels<L>; series: S }>();

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
  ) {
    // A family is a metric to the registry: it has a name and answers get().
    registry.registerMetric(this as unknown as Metric);
  }

  protected abstract create(): S;

  /** The series with these labels, made on first use. */
  series(labels: Labels<L>): S {
    let key = "";
    for (const name of this.labelNames) key += `${labels[name]}\u0000`;
    let entry = this.all.get(key);
    if (entry === undefined) {
      // Its own copy: the caller's object may be reused or changed.
      entry = { labels: { ...labels }, series: this.create() };
      this.all.set(key, entry);
    }
    return entry.series;
  }

  protected entries(): IterableIterator<{ labels: Labels<L>; series: S }> {
    return this.all.values();
  }
}

export class CounterSeries {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class CounterFamily<L extends string> extends Family<L, CounterSeries> {
  protected create(): CounterSeries {
    return new CounterSeries();
  }

  get(): Snapshot {
    const values: Snapshot["values"] = [];
    for (const { labels, series } of this.entries()) values.push({ labels, value: series.value });
    return { name: this.name, help: this.help, type: "counter", values, aggregator: "sum" };
  }
}

export class GaugeSeries {
  value = 0;
  set(value: number): void {
    this.value = value;
  }
}

/** A gauge; across workers its series combine by `aggregator` (max: the worst state any worker saw; min: the least budget left). */
export class GaugeFamily<L extends string> extends Family<L, GaugeSeries> {
  constructor(
    registry: Registry,
    name: string,
    help: string,
    labelNames: readonly L[],
    private readonly aggregator: "sum" | "max" | "min",
  ) {
    super(registry, name, help, labelNames);
  }

  protected create(): GaugeSeries {
    return new GaugeSeries();
  }

  get(): Snapshot {
    const values: Snapshot["values"] = [];
    for (const { labels, series } of this.entries()) values.push({ labels, value: series.value });
    return { name: this.name, help: this.help, type: "gauge", values, aggregator: this.aggregator };
  }
}

export class HistogramSeries {
  /** Observations per bucket, not cumulative; the last one is +Inf's own. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > (this.bounds[i] ?? 0)) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += value;
    this.count += 1;
  }
}

export class HistogramFamily<L extends string> extends Family<L, HistogramSeries> {
  constructor(
    registry: Registry,
    name: string,
    help: string,
    labelNames: readonly L[],
    private readonly bounds: readonly number[],
  ) {
    super(registry, name, help, labelNames);
  }

  protected create(): HistogramSeries {
    return new HistogramSeries(this.bounds);
  }

  get(): Snapshot {
    const values: Snapshot["values"] = [];
    for (const { labels, series } of this.entries()) {
      // A series is made with the others of its request's bundle; until observed (a stream's time
      // to first token, for a key that only sent other requests) it says nothing, and is not shown.
      if (series.count === 0) continue;
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += series.counts[i] ?? 0;
        const le = this.bounds[i] ?? "+Inf";
        values.push({ labels: { ...labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: "histogram", values, aggregator: "sum" };
  }
}
