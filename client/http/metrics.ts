// A small Prometheus text-format registry: counters with labels, nothing else needed here.

type Labels = Readonly<Record<string, string>>;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = JSON.stringify(Object.entries(labels).sort());
    const entry = this.values.get(key) ?? { labels, value: 0 };
    entry.value += by;
    this.values.set(key, entry);
  }

  get(labels: Labels = {}): number {
    return this.values.get(JSON.stringify(Object.entries(labels).sort()))?.value ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) {
      const rendered = Object.entries(labels)
        .map(([key, label]) => `${key}="${escapeLabel(label)}"`)
        .join(',');
      lines.push(`${this.name}${rendered ? `{${rendered}}` : ''} ${value}`);
    }
    return lines.join('\n');
  }
}

export function createMetrics() {
  return {
    httpRequests: new Counter('redpacket_http_requests_total', 'HTTP requests by route and status code'),
    notifications: new Counter('redpacket_alipay_notifications_total', 'Alipay notifications by outcome'),
    claims: new Counter('redpacket_claims_total', 'Claims by result (accepted or the refusal reason)'),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

export function renderMetrics(metrics: Metrics): string {
  return `${Object.values(metrics)
    .map((counter) => counter.render())
    .join('\n\n')}\n`;
}
