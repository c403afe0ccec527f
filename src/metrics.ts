/**
 * A small Prometheus text-format registry (exposition format 0.0.4): counters and histograms with
 * labels. Enough for /metrics without a dependency; label values are escaped per the format.
 */

type Labels = Record<string, string>;

const NEEDS_ESCAPE = /[\\\n"]/;

function escapeLabel(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : value;
}

/** Called for every tool call: no sort, regex replacement or array for the usual one or two labels. */
function labelKey(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length > 1) keys.sort();
  let out = '';
  for (const k of keys) out += `${out ? ',' : ''}${k}="${escapeLabel(String(labels[k]))}"`;
  return out;
}

class Counter {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ''} ${v}`);
    return lines.join('\n');
  }
}

class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {}
  observe(labels: Labels, value: number): void {
    const k = labelKey(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      const sep = k ? ',' : '';
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{${k}${sep}le="${b}"} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket{${k}${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}`);
      lines.push(`${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return lines.join('\n');
  }
}

/** When this process started (ms precision: workers forked one after another differ). */
const PROCESS_START_S = (performance.timeOrigin / 1000).toFixed(3);

export class Metrics {
  readonly httpRequests = new Counter('sequel_http_requests_total', 'HTTP requests by route and status.');
  readonly toolCalls = new Counter('sequel_tool_calls_total', 'MCP tool calls by tool and outcome.');
  readonly toolSeconds = new Histogram('sequel_tool_duration_seconds', 'MCP tool call duration.', [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60]);
  private readonly gauges: Array<{ name: string; help: string; read: () => number }> = [];

  gauge(name: string, help: string, read: () => number): void {
    this.gauges.push({ name, help, read });
  }

  render(): string {
    const parts = [this.httpRequests.render(), this.toolCalls.render(), this.toolSeconds.render()];
    for (const g of this.gauges) parts.push(`# HELP ${g.name} ${g.help}\n# TYPE ${g.name} gauge\n${g.name} ${g.read()}`);
    const mem = process.memoryUsage();
    parts.push(`# HELP process_resident_memory_bytes Resident memory.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ${mem.rss}`);
    // With SEQUEL_WORKERS > 1 each worker answers for itself; the start time tells them apart.
    parts.push(`# HELP process_start_time_seconds Start time of the process since the Unix epoch.\n# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds ${PROCESS_START_S}`);
    parts.push(`# HELP nodejs_heap_used_bytes V8 heap used.\n# TYPE nodejs_heap_used_bytes gauge\nnodejs_heap_used_bytes ${mem.heapUsed}`);
    return parts.join('\n') + '\n';
  }
}
