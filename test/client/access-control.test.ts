// Who may call what (DESIGN.md section 8), over real HTTP against both listeners: every API route
// refuses a missing, unknown or under-scoped key and changes nothing; each listener serves only
// its own routes; keys minted or revoked take effect without a restart; no token reaches a log.
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, SCOPES, type Scope } from '../../client/api-keys';
import { connectToDevServer, type DevServerHandles } from '../harness/temporal';
import { eventually } from '../helpers/lifecycle-env';
import { startHttpEnv, type HttpEnv } from '../helpers/http-env';

let temporal: DevServerHandles;
let env: HttpEnv;
let open: { authNo: string; outOrderNo: string };

beforeAll(async () => {
  temporal = await connectToDevServer();
  env = await startHttpEnv(temporal.nativeConnection);
  open = await env.openPacket({ amount: '5.00', shares: 5, split: 'fixed', ttlSeconds: 3600 });
});
afterAll(async () => {
  await env?.close();
  await temporal?.close();
});

async function workflowExists(authNo: string): Promise<boolean> {
  try {
    await temporal.client.workflow.getHandle(`red-packet-${authNo}`).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/** Everything a refused request could have changed: both packets' workflows and money. */
async function snapshot(unregisteredAuthNo: string) {
  return {
    packet: (await env.request('GET', `/red-packets/${open.authNo}`)).json,
    sandbox: env.sandbox.ledger.packet(open.authNo),
    unregisteredStarted: await workflowExists(unregisteredAuthNo),
    unregisteredInSandbox: env.sandbox.ledger.packet(unregisteredAuthNo),
  };
}

const allBut = (scope: Scope): Scope[] => SCOPES.filter((candidate) => candidate !== scope);

describe('API keys on every service route', () => {
  const routes: Array<{
    name: string;
    scope: Scope;
    method: string;
    path: () => string;
    body?: () => unknown;
  }> = [
    {
      name: 'create',
      scope: 'packets:create',
      method: 'POST',
      path: () => '/red-packets',
      body: () => ({ ...unregistered, amount: '2.00', shares: 2 }),
    },
    {
      name: 'claim',
      scope: 'packets:claim',
      method: 'POST',
      path: () => `/red-packets/${open.authNo}/claims`,
      body: () => ({ claimId: 'intruder', payeeUserId: '2088999999999999' }),
    },
    { name: 'read', scope: 'packets:read', method: 'GET', path: () => `/red-packets/${open.authNo}` },
    {
      name: 'close',
      scope: 'packets:close',
      method: 'POST',
      path: () => `/red-packets/${open.authNo}/refund`,
    },
  ];
  let unregistered: { authNo: string; outOrderNo: string };
  beforeAll(async () => {
    unregistered = await env.fund(200);
  });

  it.each(routes)(
    '$name: no key, an unknown key or a key without $scope is refused and changes nothing',
    async (route) => {
      const before = await snapshot(unregistered.authNo);
      const lacking = await env.mint(allBut(route.scope));
      const attempts: Array<[string | null, number]> = [
        [null, 401],
        ['rpk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 401],
        [`${env.token}x`, 401],
        ['not a token at all', 401],
        [lacking.token, 403],
      ];
      for (const [token, status] of attempts) {
        const response = await env.request(route.method, route.path(), route.body?.(), { token });
        expect({ token, status: response.status }).toEqual({ token, status });
        if (status === 401) {
          expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
          expect(response.json).toEqual({ error: expect.any(String) });
        } else {
          expect(response.json).toEqual({ error: expect.stringContaining(route.scope), scope: route.scope });
        }
      }
      const malformed = await fetch(`${env.url}${route.path()}`, {
        method: route.method,
        headers: { authorization: `Basic ${Buffer.from('merchant:secret').toString('base64')}` },
      });
      expect(malformed.status).toBe(401);

      expect(await snapshot(unregistered.authNo)).toEqual(before);

      // The same request with the scope goes through.
      const allowed = await env.mint([route.scope]);
      const through = await env.request(route.method, route.path(), route.body?.(), { token: allowed.token });
      expect(through.status).toBeLessThan(300);
      // Let the allowed request's payout settle, so the next route starts from a still packet.
      await eventually(
        () => env.request('GET', `/red-packets/${open.authNo}`),
        (response) =>
          !(response.json.claims as Array<{ status: string }>).some((claim) => claim.status === 'PENDING'),
      );
    },
  );

  it('reads the Bearer scheme in any case, as HTTP says', async () => {
    const response = await env.request('GET', `/red-packets/${open.authNo}`, undefined, {
      token: null,
      headers: { authorization: `bearer ${env.token}` },
    });
    expect(response.status).toBe(200);
  });

  it('/metrics takes any live key and no anonymous caller', async () => {
    expect((await env.request('GET', '/metrics', undefined, { token: null })).status).toBe(401);
    const readOnly = await env.mint(['packets:read']);
    const scraped = await env.request('GET', '/metrics', undefined, { token: readOnly.token });
    expect(scraped.status).toBe(200);
    expect(scraped.json.text).toMatch(/redpacket_http_requests_total/);
  });

  it('a minted key works and a revoked one stops working within seconds, without a restart', async () => {
    const key = await env.mint(['packets:read']);
    const read = () => env.request('GET', `/red-packets/${open.authNo}`, undefined, { token: key.token });
    expect((await eventually(read, (response) => response.status === 200, 5000)).status).toBe(200);
    env.revoke(key.id);
    expect((await eventually(read, (response) => response.status === 401, 5000)).status).toBe(401);
    expect((await env.request('GET', `/red-packets/${open.authNo}`)).status).toBe(200);
  });
});

describe('each listener serves only its own routes', () => {
  it('the API listener has no webhook; the webhook listener has nothing of the API', async () => {
    const notifyOnApi = await fetch(`${env.url}/alipay/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${env.token}` },
      body: 'notify_id=x',
    });
    expect(notifyOnApi.status).toBe(404);
    for (const [method, path] of [
      ['GET', `/red-packets/${open.authNo}`],
      ['POST', '/red-packets'],
      ['POST', `/red-packets/${open.authNo}/claims`],
      ['POST', `/red-packets/${open.authNo}/refund`],
      ['GET', '/metrics'],
      ['POST', '/codec/decode'],
    ] as const) {
      const response = await fetch(`${env.webhookUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${env.token}`, 'content-type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
    }
    expect((await fetch(`${env.webhookUrl}/alipay/notify?notify_id=x`, { method: 'HEAD' })).status).toBe(404);
    expect((await fetch(`${env.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${env.webhookUrl}/healthz`)).status).toBe(200);
  });
});

describe('secrets stay out of logs', () => {
  it('no token or key hash appears in any log line of this suite', () => {
    expect(env.logs.length).toBeGreaterThan(20);
    const secrets = [env.token, hashToken(env.token), env.token.slice(17)];
    for (const line of env.logs) for (const secret of secrets) expect(line).not.toContain(secret);
    expect(env.logs.join('\n')).not.toMatch(/rpk_[0-9a-f]{12}_/);
    expect(env.logs.join('\n')).not.toMatch(/authorization/i);
  });
});
