// The sandbox's HTTP face: the gateway, the cashier for app/page pay, the ledger, fault control.
import Fastify, { type FastifyInstance } from 'fastify';
import { formatFen } from '../alipay/money';
import { parseFormEncoded } from '../alipay/notify';
import { alipayTimestamp } from '../alipay/timestamp';
import { BillDownloads, BillDriftError, parseBillDrift, type BillReadiness } from './bill';
import { CallLimitError, CallLimiter, type CallLimits } from './call-limits';
import { FaultConfigError, Faults, type FaultConfig } from './faults';
import { SandboxGateway } from './gateway-handler';
import { ensureSandboxKeys, type SandboxKeys } from './key-files';
import { Ledger, LedgerRefusal, type Packet } from './ledger';
import { Notifier } from './notifier';

/** The merchant account whose bill the sandbox serves. */
export const SANDBOX_MERCHANT_ACCOUNT = '20881020000000000156';

export interface SandboxOptions {
  /** Where the key files live (created on first start). */
  keyDir: string;
  appId?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Multiplies notification retry delays and packet lifetimes; 1 is real time. */
  timeScale?: number;
  defaultLifetimeMs?: number;
  faults?: FaultConfig;
  /** Calls per second per method before Alipay's 40005 (default: disburse and refund at 100). */
  callLimits?: CallLimits;
  /** When a day's bill can be downloaded (default: from 09:00 Beijing time the next day, as Alipay). */
  billReadiness?: BillReadiness;
  /** How long a bill's download link serves it (default: 30 s, as Alipay). */
  billLinkLifetimeMs?: number;
  logger?: boolean;
}

export interface RunningSandbox {
  url: string;
  gatewayUrl: string;
  keys: SandboxKeys;
  ledger: Ledger;
  faults: Faults;
  callLimits: CallLimiter;
  notifier: Notifier;
  gateway: SandboxGateway;
  bills: BillDownloads;
  close(): Promise<void>;
}

export interface PacketView {
  authNo: string;
  outOrderNo: string;
  status: string;
  funded: string;
  disbursed: string;
  refunded: string;
  balance: string;
  /** Held by payouts and refunds Alipay has not finished (INIT). */
  pending: string;
  expiresAt: string | null;
  operations: Array<Record<string, string | null>>;
}

export function packetView(packet: Packet): PacketView {
  return {
    authNo: packet.authNo,
    outOrderNo: packet.outOrderNo,
    status: packet.status,
    funded: formatFen(packet.funded),
    disbursed: formatFen(packet.disbursed),
    refunded: formatFen(packet.refunded),
    balance: formatFen(packet.balance),
    pending: formatFen(packet.pending),
    expiresAt: packet.expiresAt?.toISOString() ?? null,
    operations: packet.operations.map((operation) => ({
      operationId: operation.operationId,
      operationType: operation.operationType,
      outOrderNo: operation.outOrderNo,
      outRequestNo: operation.outRequestNo,
      amount: formatFen(operation.amount),
      status: operation.status,
      gmtCreate: alipayTimestamp(operation.gmtCreate),
      gmtTrans: operation.gmtTrans ? alipayTimestamp(operation.gmtTrans) : null,
    })),
  };
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function cashierPage(packet: Packet): string {
  return `<!doctype html><meta charset="utf-8"><title>Sandbox cashier</title>
<h1>Red packet ${escapeHtml(packet.authNo)}</h1><p>Amount: ${formatFen(packet.operations[0]?.amount ?? 0)} yuan</p>
<form method="post" action="/sandbox/packets/${encodeURIComponent(packet.authNo)}/pay"><button>Pay</button></form>`;
}

export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const keys = ensureSandboxKeys(options.keyDir, options.appId);
  const timeScale = options.timeScale ?? 1;
  const faults = new Faults(options.faults);
  const callLimits = new CallLimiter(options.callLimits);
  const ledger = new Ledger();
  const notifier = new Notifier({ alipayPrivateKey: keys.alipayPrivateKey, faults, timeScale });
  const bills = new BillDownloads({
    packets: () => ledger.allPackets(),
    accountId: SANDBOX_MERCHANT_ACCOUNT,
    linkLifetimeMs: options.billLinkLifetimeMs ?? 30_000,
    readiness: options.billReadiness ?? 'next-day',
  });
  let url = '';
  const gateway = new SandboxGateway({
    keys,
    ledger,
    notifier,
    faults,
    callLimits,
    timeScale,
    defaultLifetimeMs: options.defaultLifetimeMs ?? 48 * 3_600_000,
    bills,
    billLinkBase: () => url,
  });

  const app: FastifyInstance = Fastify({
    logger: options.logger ?? false,
    forceCloseConnections: true,
    bodyLimit: 256 * 1024,
  });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, body),
  );

  const gatewayParams = (rawUrl: string, body: unknown): Record<string, string> => {
    const fromQuery = parseFormEncoded(rawUrl.split('?')[1] ?? '');
    const fromBody = typeof body === 'string' ? parseFormEncoded(body) : {};
    return { ...fromQuery, ...fromBody };
  };

  app.post('/gateway.do', async (request, reply) => {
    let params: Record<string, string>;
    try {
      params = gatewayParams(request.raw.url ?? '', request.body);
    } catch {
      return reply.code(400).send('malformed form body');
    }
    const outcome = await gateway.handle(params);
    if (outcome.kind === 'hang') return reply.hijack();
    const packetForCashier =
      params.method === 'alipay.fund.coupon.order.page.pay' ? cashierFor(outcome.body) : undefined;
    if (packetForCashier) return reply.type('text/html; charset=utf-8').send(cashierPage(packetForCashier));
    return reply.type('application/json;charset=utf-8').send(outcome.body);
  });

  // page.pay as a GET URL opens the cashier, as Alipay's does.
  app.get('/gateway.do', async (request, reply) => {
    let params: Record<string, string>;
    try {
      params = gatewayParams(request.raw.url ?? '', undefined);
    } catch {
      return reply.code(400).send('malformed query string');
    }
    const outcome = await gateway.handle(params);
    if (outcome.kind === 'hang') return reply.hijack();
    const packet = cashierFor(outcome.body);
    return packet
      ? reply.type('text/html; charset=utf-8').send(cashierPage(packet))
      : reply.type('application/json;charset=utf-8').send(outcome.body);
  });

  function cashierFor(body: string): Packet | undefined {
    const node = (JSON.parse(body) as Record<string, { auth_no?: string; code?: string }>)[
      'alipay_fund_coupon_order_page_pay_response'
    ];
    return node?.code === '10000' && node.auth_no ? ledger.findPacket(node.auth_no) : undefined;
  }

  app.get<{ Params: { authNo: string } }>('/sandbox/packets/:authNo', async (request, reply) => {
    const packet = ledger.findPacket(request.params.authNo);
    if (!packet) return reply.code(404).send({ error: `no red packet ${request.params.authNo}` });
    return packetView(packet);
  });

  app.post<{ Params: { authNo: string } }>('/sandbox/packets/:authNo/pay', async (request, reply) => {
    try {
      return packetView(gateway.completePayment(request.params.authNo));
    } catch (error) {
      if (error instanceof LedgerRefusal) return reply.code(409).send({ error: error.message });
      throw error;
    }
  });

  app.post<{ Params: { authNo: string } }>('/sandbox/packets/:authNo/expire', async (request, reply) => {
    if (!ledger.findPacket(request.params.authNo))
      return reply.code(404).send({ error: 'no such red packet' });
    gateway.expire(request.params.authNo);
    return packetView(ledger.packet(request.params.authNo));
  });

  app.get('/sandbox/call-limits', async () => callLimits.current());
  app.put('/sandbox/call-limits', async (request, reply) => {
    try {
      callLimits.set(request.body);
      return callLimits.current();
    } catch (error) {
      if (error instanceof CallLimitError) return reply.code(400).send({ error: error.message });
      throw error;
    }
  });
  app.get('/sandbox/faults', async () => faults.current());
  app.put('/sandbox/faults', async (request, reply) => {
    try {
      faults.set(request.body as FaultConfig);
      return faults.current();
    } catch (error) {
      if (error instanceof FaultConfigError) return reply.code(400).send({ error: error.message });
      throw error;
    }
  });

  // A bill's download link, as Alipay hands it out: serves the ZIP until it expires.
  app.get<{ Params: { token: string } }>('/sandbox/bills/:token', async (request, reply) => {
    const zip = bills.download(request.params.token.replace(/\.zip$/, ''));
    if (!zip) return reply.code(404).send({ error: 'no such bill link, or it has expired' });
    return reply.type('application/zip').send(Buffer.from(zip));
  });
  app.get('/sandbox/bills', async () => ({ readiness: bills.readiness }));
  app.put<{ Body: unknown }>('/sandbox/bills', async (request, reply) => {
    const readiness = (request.body as { readiness?: unknown } | null)?.readiness;
    if (readiness !== 'next-day' && readiness !== 'at-once')
      return reply.code(400).send({ error: 'readiness must be "next-day" or "at-once"' });
    bills.readiness = readiness;
    return { readiness };
  });
  app.get('/sandbox/bills/drift', async () => bills.drift);
  app.put<{ Body: unknown }>('/sandbox/bills/drift', async (request, reply) => {
    try {
      bills.drift = parseBillDrift(request.body);
      return bills.drift;
    } catch (error) {
      if (error instanceof BillDriftError) return reply.code(400).send({ error: error.message });
      throw error;
    }
  });
  app.get('/sandbox/notifications', async () => notifier.history());
  app.get('/sandbox/requests', async () => gateway.requests.all());
  app.get('/healthz', async () => ({ status: 'ok' }));

  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  url = address.replace('[::1]', '127.0.0.1');
  return {
    url,
    gatewayUrl: `${url}/gateway.do`,
    keys,
    ledger,
    faults,
    callLimits,
    notifier,
    gateway,
    bills,
    close: async () => {
      notifier.stop();
      gateway.stop();
      await app.close();
    },
  };
}
