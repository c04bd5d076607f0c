// A small Prometheus registry (text exposition format 0.0.4): HTTP request counts and latency by
// route template and status, provider call counts and latency by provider and outcome, and families
// sampled from state kept elsewhere (the outbound client's calls per origin). Labels only ever hold
// route templates, methods, status codes, provider ids and outcome words: never user data.
// Written by hand rather than with prom-client: a handful of metric families do not need a dependency.

const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

type Labels = Readonly<Record<string, string>>;

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([name, value]) => `${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function keyOf(labels: Labels): string {
  return JSON.stringify(Object.entries(labels));
}

class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels, by = 1): void {
    const key = keyOf(labels);
    const entry = this.values.get(key);
    if (entry) entry.value += by;
    else this.values.set(key, { labels, value: by });
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines.join('\n');
  }
}

class Histogram {
  private readonly series = new Map<string, { labels: Labels; buckets: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[] = LATENCY_BUCKETS_S,
  ) {}

  observe(labels: Labels, value: number): void {
    const key = keyOf(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, buckets: new Array<number>(this.bounds.length).fill(0), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    for (let index = 0; index < this.bounds.length; index++) if (value <= (this.bounds[index] ?? Infinity)) entry.buckets[index] = (entry.buckets[index] ?? 0) + 1;
    entry.sum += value;
    entry.count += 1;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, buckets, sum, count } of this.series.values()) {
      this.bounds.forEach((bound, index) => lines.push(`${this.name}_bucket${labelText({ ...labels, le: String(bound) })} ${buckets[index] ?? 0}`));
      lines.push(`${this.name}_bucket${labelText({ ...labels, le: '+Inf' })} ${count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${sum}`);
      lines.push(`${this.name}_count${labelText(labels)} ${count}`);
    }
    return lines.join('\n');
  }
}

/** A family whose values are read when /metrics is rendered: state another part keeps (gauges, its own counts). */
class Sampled {
  constructor(
    readonly name: string,
    readonly type: 'gauge' | 'counter',
    readonly help: string,
    private readonly read: () => ReadonlyArray<{ labels: Labels; value: number }>,
  ) {}

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, value } of this.read()) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines.join('\n');
  }
}

export class Metrics {
  private readonly httpRequests = new Counter('byok_http_requests_total', 'HTTP requests by method, route template and status.');
  private readonly httpLatency = new Histogram('byok_http_request_duration_seconds', 'HTTP request latency by method, route template and status.');
  private readonly providerCalls = new Counter('byok_provider_calls_total', 'Provider calls by provider and outcome.');
  private readonly providerLatency = new Histogram('byok_provider_call_duration_seconds', 'Provider call latency by provider and outcome.');

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpLatency.observe(labels, seconds);
  }

  observeProviderCall(provider: string, outcome: string, seconds: number): void {
    const labels = { provider, outcome };
    this.providerCalls.inc(labels);
    this.providerLatency.observe(labels, seconds);
  }

  private readonly sampled: Sampled[] = [];

  /** Adds a family read at each render; `read` answers its series (labels hold no user data either). */
  sample(name: string, type: 'gauge' | 'counter', help: string, read: () => ReadonlyArray<{ labels: Labels; value: number }>): void {
    this.sampled.push(new Sampled(name, type, help, read));
  }

  render(): string {
    return `${[this.httpRequests, this.httpLatency, this.providerCalls, this.providerLatency, ...this.sampled].map((metric) => metric.render()).join('\n')}\n`;
  }
}
