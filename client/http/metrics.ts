// A small Prometheus text-format registry: counters with labels, nothing else needed here.

type Labels<Name extends string> = Readonly<Record<Name, string>>;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class Counter<Name extends string> {
  private readonly values = new Map<string, { labels: Labels<Name>; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly Name[],
  ) {}

  // Counted on every request: the key is the label values in declared order, nothing sorted.
  private keyOf(labels: Labels<Name>): string {
    return this.labelNames.map((label) => labels[label]).join('\u0000');
  }

  inc(labels: Labels<Name>, by = 1): void {
    const key = this.keyOf(labels);
    const entry = this.values.get(key);
    if (entry) entry.value += by;
    else this.values.set(key, { labels, value: by });
  }

  get(labels: Labels<Name>): number {
    return this.values.get(this.keyOf(labels))?.value ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) {
      const rendered = this.labelNames.map((label) => `${label}="${escapeLabel(labels[label])}"`).join(',');
      lines.push(`${this.name}${rendered ? `{${rendered}}` : ''} ${value}`);
    }
    return lines.join('\n');
  }
}

export function createMetrics() {
  return {
    httpRequests: new Counter('redpacket_http_requests_total', 'HTTP requests by route and status code', [
      'route',
      'status',
    ]),
    notifications: new Counter('redpacket_alipay_notifications_total', 'Alipay notifications by outcome', [
      'outcome',
    ]),
    claims: new Counter('redpacket_claims_total', 'Claims by result (accepted or the refusal reason)', [
      'result',
    ]),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

export function renderMetrics(metrics: Metrics): string {
  return `${Object.values(metrics)
    .map((counter) => counter.render())
    .join('\n\n')}\n`;
}
