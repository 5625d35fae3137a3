// `redpacket`: create, claim, status, refund and a demo over the service API of `npm start`, and
// the API keys (`keys`). The key comes from REDPACKET_API_KEY, else the development key of `npm start`.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { dataDirFrom, developmentKeyFiles } from '../config/data-dir';
import { localNotifyUrl, readHttpConfig, readPort } from '../config/env';
import { KEYS_USAGE, KeysUsageError, runKeysCommand } from './cli-keys';
import { RECONCILE_USAGE, ReconcileUsageError, runReconcileCommand } from './cli-reconcile';

const USAGE = `redpacket <command> [options]
  talks to the service API at $REDPACKET_API_URL (default http://127.0.0.1:$HTTP_PORT, port 3000)
  with the key in $REDPACKET_API_KEY (default: the development key of \`npm start\` in $DATA_DIR/api-key)

  create --auth-no N --out-order-no O (--pay-operation-id P | --pay-out-request-no R) --amount 10.00 [--shares 5] [--split fixed|random|claimant] [--ttl-seconds 3600] [--title T]
  claim  --auth-no N --claim-id C (--payee-user-id 2088... | --payee-logon-id L) [--amount 1.00]
  status --auth-no N
  refund --auth-no N
  demo   [--amount 10.00] [--shares 5] [--ttl-seconds 10] [--pay agreement|page]
         orders a packet (paid by agreement pay, or by you at the sandbox cashier with --pay page),
         claims part of it, lets it expire, prints the ledger
${RECONCILE_USAGE}
${KEYS_USAGE}`;

/** Where things are, from the same variables `npm start` reads; read when a command runs. */
function endpoints() {
  const http = readHttpConfig();
  const env = process.env;
  return {
    api: (env.REDPACKET_API_URL?.trim() || `http://127.0.0.1:${http.api.port}`).replace(/\/$/, ''),
    ui: (
      env.TEMPORAL_UI_URL?.trim() || `http://localhost:${readPort(env, 'TEMPORAL_UI_PORT', 8233)}`
    ).replace(/\/$/, ''),
    namespace: env.TEMPORAL_NAMESPACE?.trim() || 'default',
    sandbox: `http://127.0.0.1:${readPort(env, 'SANDBOX_PORT', 8090)}`,
    notify: env.ALIPAY_NOTIFY_URL?.trim() || localNotifyUrl(http.webhook),
  };
}

class CliError extends Error {}

function apiKey(): string {
  const fromEnv = process.env.REDPACKET_API_KEY?.trim();
  if (fromEnv) return fromEnv;
  const { tokenFile } = developmentKeyFiles(dataDirFrom());
  try {
    return readFileSync(tokenFile, 'utf8').trim();
  } catch {
    throw new CliError(
      `no API key: set REDPACKET_API_KEY, or run \`npm start\` (it writes a development key to ${tokenFile})`,
    );
  }
}

async function call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  let response: Response;
  const headers: Record<string, string> = { authorization: `Bearer ${apiKey()}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    response = await fetch(`${endpoints().api}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new CliError(
      `cannot reach the API at ${endpoints().api} (is \`npm start\` running? set REDPACKET_API_URL)`,
    );
  }
  const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.status >= 400) {
    throw new CliError(`${method} ${path}: HTTP ${response.status} ${String(json.error ?? '')}`.trim());
  }
  return json;
}

function print(json: unknown): void {
  console.log(JSON.stringify(json, null, 2));
}

function workflowLink(authNo: string): string {
  const { ui, namespace } = endpoints();
  return `${ui}/namespaces/${namespace}/workflows/red-packet-${authNo}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Places a pay order and waits until it is paid: at once by agreement pay, or by the sender at the cashier. */
async function payOrder(options: {
  amount: string;
  shares: number;
  ttlSeconds: number;
  pay: string;
}): Promise<string> {
  const outOrderNo = `DEMO${Date.now()}`;
  const order = await call('POST', '/red-packet-orders', {
    outOrderNo,
    amount: options.amount,
    shares: options.shares,
    split: 'random',
    ttlSeconds: options.ttlSeconds,
    title: 'redpacket demo',
    pay: options.pay,
    ...(options.pay === 'agreement' ? { payerUserId: '2088000000000001' } : {}),
    payTimeoutSeconds: 900,
  });
  if (options.pay === 'page') {
    console.log(`   Pay it at the sandbox cashier: ${String(order.cashierUrl)}`);
  }
  for (let waited = 0, current = order; waited <= 900; waited += 1) {
    if (current.status === 'PAID') {
      console.log(`   paid: auth_no ${String(current.authNo)} (order red-packet-order-${outOrderNo})`);
      return String(current.authNo);
    }
    if (current.status !== 'AWAITING_PAYMENT')
      throw new CliError(`order ${outOrderNo}: ${String(current.status)} ${String(current.failure ?? '')}`);
    process.stdout.write(`   waiting for the payment ... ${waited}s\r`);
    await sleep(1000);
    current = await call('GET', `/red-packet-orders/${outOrderNo}`);
  }
  throw new CliError(`order ${outOrderNo} was not paid in time`);
}

/** The packet once its funding check is done (it opens within moments of the payment). */
async function eventuallyOpen(authNo: string): Promise<Record<string, unknown>> {
  for (let waited = 0; waited < 120; waited += 1) {
    const state = await call('GET', `/red-packets/${authNo}`).catch(() => ({ status: 'STARTING' }));
    if (state.status !== 'VERIFYING_FUNDING' && state.status !== 'STARTING') return state;
    await sleep(500);
  }
  throw new CliError(`red packet ${authNo} did not open`);
}

async function demo(options: {
  amount: string;
  shares: number;
  ttlSeconds: number;
  pay: string;
}): Promise<void> {
  console.log(
    `1. Ordering a ${options.amount} yuan red packet, paid by ${options.pay} pay at the sandbox ...`,
  );
  const authNo = await payOrder(options);
  console.log(`2. Its lifecycle runs: ${options.shares} random shares, expiring in ${options.ttlSeconds}s`);
  const opened = await eventuallyOpen(authNo);
  console.log(`   ${String(opened.status)}`);
  console.log(`   Temporal UI: ${workflowLink(authNo)}`);
  const claims = Math.max(1, Math.floor(options.shares / 2));
  console.log(`3. ${claims} claimants take their shares`);
  for (let i = 1; i <= claims; i++) {
    const outcome = await call('POST', `/red-packets/${authNo}/claims`, {
      claimId: `demo-${i}`,
      payeeUserId: `2088${String(i).padStart(12, '0')}`,
    });
    console.log(
      `   claim demo-${i}: ${String(outcome.amount)} yuan (${String(outcome.status)}), ${String(outcome.remaining)} left`,
    );
  }
  console.log(`4. Waiting for expiry, the refund of the rest, and Alipay's refund notification ...`);
  let state: Record<string, unknown> = {};
  for (let waited = 0; waited < options.ttlSeconds + 60; waited += 1) {
    state = await call('GET', `/red-packets/${authNo}`);
    if (['COMPLETED', 'REFUND_BLOCKED', 'REJECTED'].includes(String(state.status))) break;
    process.stdout.write(`   ${String(state.status)} ... ${waited}s\r`);
    await sleep(1000);
  }
  console.log(`\n5. Final state: ${String(state.status)}`);
  print(state);
  const sandboxLedger = await fetch(`${endpoints().sandbox}/sandbox/packets/${authNo}`).then((r) => r.json());
  console.log('   Sandbox ledger (funded = disbursed + refunded + balance):');
  print(sandboxLedger);
  console.log(`   Temporal UI: ${workflowLink(authNo)}`);
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: command === 'keys',
    options: {
      scopes: { type: 'string' },
      name: { type: 'string' },
      'auth-no': { type: 'string' },
      'out-order-no': { type: 'string' },
      'pay-operation-id': { type: 'string' },
      'pay-out-request-no': { type: 'string' },
      amount: { type: 'string' },
      shares: { type: 'string' },
      split: { type: 'string' },
      'ttl-seconds': { type: 'string' },
      title: { type: 'string' },
      'claim-id': { type: 'string' },
      'payee-user-id': { type: 'string' },
      'payee-logon-id': { type: 'string' },
      pay: { type: 'string' },
      date: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
    },
  });
  const need = (name: keyof typeof values): string => {
    const value = values[name];
    if (typeof value !== 'string') throw new CliError(`--${name} is required\n\n${USAGE}`);
    return value;
  };
  const integer = (name: keyof typeof values, fallback?: number): number | undefined => {
    const value = values[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !/^\d+$/.test(value))
      throw new CliError(`--${name} must be a whole number`);
    return Number(value);
  };
  switch (command) {
    case 'keys':
      return runKeysCommand(
        { action: positionals[0], target: positionals[1], scopes: values.scopes, name: values.name },
        { stdout: (line) => console.log(line), stderr: (line) => console.error(line) },
      );
    case 'create':
      return print(
        await call('POST', '/red-packets', {
          authNo: need('auth-no'),
          outOrderNo: need('out-order-no'),
          payOperationId: values['pay-operation-id'],
          payOutRequestNo: values['pay-out-request-no'],
          amount: need('amount'),
          shares: integer('shares'),
          split: values.split,
          ttlSeconds: integer('ttl-seconds'),
          title: values.title,
        }),
      );
    case 'claim':
      return print(
        await call('POST', `/red-packets/${encodeURIComponent(need('auth-no'))}/claims`, {
          claimId: need('claim-id'),
          payeeUserId: values['payee-user-id'],
          payeeLogonId: values['payee-logon-id'],
          amount: values.amount,
        }),
      );
    case 'status': {
      const authNo = need('auth-no');
      print(await call('GET', `/red-packets/${encodeURIComponent(authNo)}`));
      return console.log(`Temporal UI: ${workflowLink(authNo)}`);
    }
    case 'refund':
      return print(await call('POST', `/red-packets/${encodeURIComponent(need('auth-no'))}/refund`));
    case 'demo':
      return demo({
        amount: values.amount ?? '10.00',
        shares: integer('shares', 5)!,
        ttlSeconds: integer('ttl-seconds', 10)!,
        pay: values.pay ?? 'agreement',
      });
    case 'reconcile':
      process.exitCode = await runReconcileCommand(
        { date: values.date, from: values.from, to: values.to },
        { stdout: (line) => console.log(line), ui: endpoints().ui },
      );
      return;
    default:
      throw new CliError(USAGE);
  }
}

main().catch((error: unknown) => {
  console.error(
    error instanceof CliError || error instanceof KeysUsageError || error instanceof ReconcileUsageError
      ? error.message
      : `redpacket: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
