// Abuse limits on both listeners: a body trickled byte by byte is cut (the production timeout,
// 30 s), a burst past the rate limit gets 429 with Retry-After and breaks nothing else, and the
// per-process memories stay bounded.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoundedIdSet } from '../../client/http/bounded-id-set';
import { ClaimGate, ClaimGateFullError } from '../../client/claim-gate';
import { DEFAULT_LISTENER_LIMITS } from '../../config/env';
import { connectToDevServer, type DevServerHandles } from '../harness/temporal';
import { startHttpEnv, type HttpEnv } from '../helpers/http-env';

let temporal: DevServerHandles;
let env: HttpEnv;
const RATE = 20;

beforeAll(async () => {
  temporal = await connectToDevServer();
  env = await startHttpEnv(temporal.nativeConnection, {
    limits: { api: { ratePerSecond: RATE }, webhook: { ratePerSecond: RATE } },
  });
});
afterAll(async () => {
  await env?.close();
  await temporal?.close();
});

/** Sends headers announcing a body, then one byte every 2 s; resolves when the server hangs up. */
function trickle(
  url: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ seconds: number; answer: string }> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(port), hostname);
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ seconds: (Date.now() - started) / 1000, answer });
    });
    socket.on('connect', () => {
      const lines = Object.entries({ ...headers, 'content-length': '1000', host: hostname });
      socket.write(`POST ${path} HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`);
      timer = setInterval(() => socket.write('a'), 2000);
    });
    setTimeout(() => reject(new Error('the server kept the trickling connection open for 60 s')), 60_000);
  });
}

describe('slow clients', () => {
  it('cuts a body trickled a byte every 2 s on both listeners within about 30 s', async () => {
    expect(DEFAULT_LISTENER_LIMITS.requestTimeoutMs).toBe(30_000);
    const [api, webhook] = await Promise.all([
      trickle(env.url, '/red-packets', {
        authorization: `Bearer ${env.token}`,
        'content-type': 'application/json',
      }),
      trickle(env.webhookUrl, '/alipay/notify', { 'content-type': 'application/x-www-form-urlencoded' }),
    ]);
    for (const cut of [api, webhook]) {
      expect(cut.seconds).toBeLessThan(40);
      expect(cut.answer).toMatch(/^HTTP\/1\.1 408 /);
    }
  }, 70_000);
});

describe('idle connections', () => {
  it('closes a keep-alive connection idle after its response within about 5 s', async () => {
    const { hostname, port } = new URL(env.webhookUrl);
    const started = Date.now();
    const closedAfter = await new Promise<number>((resolve) => {
      const socket = connect(Number(port), hostname, () =>
        socket.write(`GET /healthz HTTP/1.1\r\nhost: ${hostname}\r\nconnection: keep-alive\r\n\r\n`),
      );
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      socket.on('close', () => resolve((Date.now() - started) / 1000));
    });
    expect(closedAfter).toBeLessThan(15);
  }, 30_000);
});

describe('rate limits', () => {
  it('answers a burst past the per-key limit with 429 and Retry-After; other keys and later requests are served', async () => {
    const burst = await Promise.all(
      Array.from({ length: RATE * 3 }, () => env.request('GET', '/red-packets/NOSUCHPACKET1')),
    );
    const limited = burst.filter((response) => response.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(RATE);
    expect(burst.every((response) => response.status === 429 || response.status === 404)).toBe(true);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited[0]!.json.error).toMatch(/rate limit/);

    const other = await env.mint(['packets:read']);
    expect(
      (await env.request('GET', '/red-packets/NOSUCHPACKET1', undefined, { token: other.token })).status,
    ).toBe(404);
    await new Promise((resolve) =>
      setTimeout(resolve, Number(limited[0]!.headers.get('retry-after')) * 1000),
    );
    expect((await env.request('GET', '/red-packets/NOSUCHPACKET1')).status).toBe(404);
  });

  it('counts refused and unknown requests too: an anonymous or under-scoped flood meets the limit', async () => {
    const underScoped = await env.mint(['codec']);
    for (const [path, token, refused] of [
      ['/red-packets/NOSUCHPACKET2', null, 401],
      ['/red-packets/NOSUCHPACKET2', underScoped.token, 403],
      ['/no-such-route', env.token, 404],
    ] as const) {
      const burst = await Promise.all(
        Array.from({ length: RATE * 3 }, () => env.request('GET', path, undefined, { token })),
      );
      const statuses = new Set(burst.map((response) => response.status));
      expect({ path, statuses: [...statuses].sort() }).toEqual({ path, statuses: [refused, 429].sort() });
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }
  });

  it('answers a burst past the per-address limit on the webhook with 429 `fail`, then serves again', async () => {
    const post = () =>
      fetch(`${env.webhookUrl}/alipay/notify`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'notify_id=burst&sign=bad',
      }).then(async (response) => ({
        status: response.status,
        text: await response.text(),
        headers: response.headers,
      }));
    const burst = await Promise.all(Array.from({ length: RATE * 3 }, post));
    const limited = burst.filter((response) => response.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(RATE);
    expect(limited.every((response) => response.text === 'fail')).toBe(true);
    expect(burst.every((response) => response.status === 429 || response.status === 400)).toBe(true);
    await new Promise((resolve) =>
      setTimeout(resolve, Number(limited[0]!.headers.get('retry-after')) * 1000),
    );
    expect((await post()).status).toBe(400);
  });
});

describe('bounded per-process memory', () => {
  it('the set of unknown notify ids logged forgets the oldest past its bound', () => {
    const seen = new BoundedIdSet(3);
    expect(['a', 'b', 'c', 'a'].map((id) => seen.add(id))).toEqual([true, true, true, false]);
    expect(seen.add('d')).toBe(true);
    expect(seen.size).toBe(3);
    expect(seen.add('a')).toBe(true); // forgotten, so logged once more
  });

  it('the claim gate refuses at once, retryably, past its bound of waiting claims', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const gate = new ClaimGate(async (_authNo, requests) => {
      await held;
      return requests.map((request) => ({
        accepted: false as const,
        claimId: request.claimId,
        reason: 'PACKET_NOT_OPEN' as const,
      }));
    }, 3);
    const waiting = [1, 2, 3].map((i) =>
      gate.claim('P1', { claimId: `c${i}`, payeeUserId: '2088000000000001' }),
    );
    await expect(gate.claim('P2', { claimId: 'c4', payeeUserId: '2088000000000001' })).rejects.toBeInstanceOf(
      ClaimGateFullError,
    );
    release();
    expect(await Promise.all(waiting)).toHaveLength(3);
    await expect(gate.claim('P2', { claimId: 'c5', payeeUserId: '2088000000000001' })).resolves.toMatchObject(
      {
        accepted: false,
      },
    );
  });
});
