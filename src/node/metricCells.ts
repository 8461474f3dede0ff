import type { Metric, Registry } from 'prom-client';

// Metrics observed on a per-transaction path. prom-client's own Counter and Histogram hash their
// label values into a string on every inc/observe, even through a child from .labels() (about
// 0.3 µs each here); these cells are bound to one label set when they are made, count into plain
// numbers, and are turned into prom-client's exposition values only when Prometheus scrapes.

type Labels = Readonly<Record<string, string>>;

/** One value line as prom-client's registry prints it. */
interface ValueLine {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

/** The part of a prom-client metric its registry uses: a name, a type and get(). */
interface Exposed {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  get(): { name: string; help: string; type: 'counter' | 'histogram'; values: ValueLine[]; aggregator: 'sum' };
}

function register(registry: Registry, metric: Exposed): void {
  // The registry reads only name, type and get() (the same contract as its own metric classes);
  // its TypeScript type lists those classes, hence the cast.
  registry.registerMetric(metric as unknown as Metric);
}

/** A counter of one label set. */
export class CounterCell {
  value = 0;
  constructor(readonly labels: Labels) {}
  inc(): void {
    this.value++;
  }
}

/** A histogram of one label set: counts per bucket (not cumulative: the last slot is above every bound), sum, count. */
export class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

/** A counter metric whose label sets are made once (cell()) and incremented without allocation. */
export class CounterFamily implements Exposed {
  readonly type = 'counter';
  private readonly cells: CounterCell[] = [];
  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
  ) {
    register(registry, this);
  }
  cell(labels: Labels): CounterCell {
    const c = new CounterCell(labels);
    this.cells.push(c);
    return c;
  }
  get(): ReturnType<Exposed['get']> {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: 'sum',
      values: this.cells.map((c) => ({ labels: { ...c.labels }, value: c.value })),
    };
  }
}

/** A histogram metric whose label sets are made once (cell()) and observed without allocation. */
export class HistogramFamily implements Exposed {
  readonly type = 'histogram';
  private readonly cells: HistogramCell[] = [];
  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {
    register(registry, this);
  }
  cell(labels: Labels): HistogramCell {
    const c = new HistogramCell(labels, this.bounds);
    this.cells.push(c);
    return c;
  }
  get(): ReturnType<Exposed['get']> {
    const values: ValueLine[] = [];
    const bucket = `${this.name}_bucket`;
    for (const c of this.cells) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += c.counts[i]!;
        values.push({ metricName: bucket, labels: { ...c.labels, le }, value: acc });
      });
      values.push({ metricName: bucket, labels: { ...c.labels, le: '+Inf' }, value: c.count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...c.labels }, value: c.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...c.labels }, value: c.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: 'sum', values };
  }
}
