// Every gateway request as the sandbox saw it, for people and tests (GET /sandbox/requests).

export interface RequestRecord {
  at: string;
  method: string;
  outOrderNo?: string;
  outRequestNo?: string;
  /** `code sub_code` of the answer, or `no answer` for a hung or lost response. */
  outcome: string;
}

const REQUESTS_KEPT = 10_000;

export class RequestLog {
  private readonly records: RequestRecord[] = [];

  record(params: Readonly<Record<string, string>>, answer: string | undefined): void {
    let biz: Record<string, unknown> = {};
    try {
      biz = JSON.parse(params.biz_content ?? '{}') as Record<string, unknown>;
    } catch {
      // recorded without its business fields
    }
    const field = (name: string): string | undefined =>
      typeof biz[name] === 'string' ? (biz[name] as string) : undefined;
    let outcome = 'no answer';
    if (answer !== undefined) {
      const match = /"code":"(\d+)"(?:,"msg":"[^"]*")?(?:,"sub_code":"([^"]+)")?/.exec(answer);
      outcome = match ? [match[1], match[2]].filter(Boolean).join(' ') : 'answered';
    }
    this.records.push({
      at: new Date().toISOString(),
      method: params.method ?? '',
      outOrderNo: field('out_order_no') ?? field('auth_no'),
      outRequestNo: field('out_request_no'),
      outcome,
    });
    this.records.splice(0, this.records.length - REQUESTS_KEPT);
  }

  all(): readonly RequestRecord[] {
    return this.records;
  }

  filter(predicate: (record: RequestRecord) => boolean): RequestRecord[] {
    return this.records.filter(predicate);
  }
}
