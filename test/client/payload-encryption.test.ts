// With a payload key configured, histories hold no plaintext payee or payer id; the codec
// endpoint decodes them for the Temporal UI; payloads written under an old key still decode.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Payload } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import { AesGcmCodec } from '../../codec/aes-gcm-codec';
import { readCodecKeys } from '../../codec/key-files';
import { resolveTemporalCli } from '../../embedded/temporal-binaries';
import { connectToDevServer, type DevServerHandles } from '../harness/temporal';
import { eventually } from '../helpers/lifecycle-env';
import { startHttpEnv, type HttpEnv } from '../helpers/http-env';

const keysDir = mkdtempSync(join(tmpdir(), 'payload-keys-'));
const newKey = (id: string): void =>
  writeFileSync(join(keysDir, `${id}.key`), randomBytes(32).toString('base64'));
newKey('k1');

let temporal: DevServerHandles;
let encrypted: HttpEnv;
/** The same, with its API listener bound to every interface (not loopback): the codec needs a key. */
let exposed: HttpEnv;
let plain: HttpEnv;

beforeAll(async () => {
  temporal = await connectToDevServer();
  const codec = new AesGcmCodec(readCodecKeys({ PAYLOAD_KEYS_DIR: keysDir, PAYLOAD_KEY_ID: 'k1' })!);
  encrypted = await startHttpEnv(temporal.nativeConnection, { payloadCodec: codec });
  exposed = await startHttpEnv(temporal.nativeConnection, { payloadCodec: codec, apiHost: '0.0.0.0' });
  plain = await startHttpEnv(temporal.nativeConnection);
});
afterAll(async () => {
  await encrypted?.close();
  await exposed?.close();
  await plain?.close();
  await temporal?.close();
});

async function temporalCli(...args: string[]): Promise<string> {
  const cli = resolveTemporalCli();
  if (!cli) throw new Error('no Temporal CLI: run npm ci');
  const { stdout } = await promisify(execFile)(cli.path, [...args, '--address', inject('temporalAddress')]);
  return stdout;
}

/** POST /codec/decode over node:http, which (unlike fetch) lets a test set the Host header. */
function codecCall(
  env: HttpEnv,
  body: unknown,
  token?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json(): Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${env.url}/codec/decode`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...headers,
      },
    });
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, json: async () => JSON.parse(text) as unknown }),
      );
    });
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

/** Runs a lifecycle with identifiable personal data; returns the raw history bytes (no codec). */
async function runLifecycle(
  env: HttpEnv,
  payeeLogonId: string,
  payeeUserId: string,
): Promise<{ authNo: string; raw: Buffer }> {
  const { authNo } = await env.openPacket({ amount: '3.00', shares: 3, split: 'fixed', ttlSeconds: 600 });
  await env.request('POST', `/red-packets/${authNo}/claims`, { claimId: 'p1', payeeLogonId });
  await env.request('POST', `/red-packets/${authNo}/claims`, { claimId: 'p2', payeeUserId });
  await env.request('POST', `/red-packets/${authNo}/refund`);
  await eventually(
    () => env.request('GET', `/red-packets/${authNo}`),
    (response) => response.json.status === 'COMPLETED',
  );
  const history = await temporal.client.workflow.getHandle(`red-packet-${authNo}`).fetchHistory();
  return { authNo, raw: Buffer.from(proto.api.history.v1.History.encode(history).finish()) };
}

describe('payload encryption', () => {
  it('keeps payer and payee ids out of the history, in clear only through the codec endpoint', async () => {
    const logon = `secret.payee.${Date.now()}@example.com`;
    const userId = `2088${String(Date.now()).slice(-12)}`;
    const control = await runLifecycle(plain, logon, userId);
    expect(control.raw.includes(logon)).toBe(true); // without a key the id is there in plaintext

    const { authNo, raw } = await runLifecycle(encrypted, logon, userId);
    expect(raw.includes(logon)).toBe(false);
    expect(raw.includes(userId)).toBe(false);

    // The UI's codec call: the update's argument decodes back to the claim with the payee.
    const history = await temporal.client.workflow.getHandle(`red-packet-${authNo}`).fetchHistory();
    const update = history.events?.find(
      (event) =>
        event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'claimBatch',
    );
    const payloads =
      update?.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.args?.payloads ?? [];
    expect(payloads.length).toBeGreaterThan(0);
    const asJson = (payload: proto.api.common.v1.IPayload) => ({
      metadata: Object.fromEntries(
        Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
      data: Buffer.from(payload.data ?? []).toString('base64'),
    });
    const response = await fetch(`${encrypted.url}/codec/decode`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: 'http://localhost:8233',
        'x-namespace': 'default',
      },
      body: JSON.stringify({ payloads: payloads.map(asJson) }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    const decoded = (await response.json()) as { payloads: Array<{ data: string }> };
    expect(Buffer.from(decoded.payloads[0]!.data, 'base64').toString()).toContain(logon);

    const preflight = await fetch(`${encrypted.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:8233' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-namespace');
  });

  it('decodes a payload written under an old key after rotation', async () => {
    const before = new AesGcmCodec(readCodecKeys({ PAYLOAD_KEYS_DIR: keysDir, PAYLOAD_KEY_ID: 'k1' })!);
    const original: Payload = {
      metadata: { encoding: Buffer.from('json/plain') },
      data: Buffer.from('{"payeeLogonId":"a@b.c"}'),
    };
    const [sealed] = await before.encode([original]);
    newKey('k2');
    const rotated = new AesGcmCodec(readCodecKeys({ PAYLOAD_KEYS_DIR: keysDir, PAYLOAD_KEY_ID: 'k2' })!);
    const [fresh] = await rotated.encode([original]);
    expect(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString()).toBe('k2');
    const [opened] = await rotated.decode([sealed!]);
    expect(Buffer.from(opened!.data!).toString()).toBe('{"payeeLogonId":"a@b.c"}');
    const withoutOldKey = new AesGcmCodec({
      currentKeyId: 'k2',
      keys: new Map([
        ['k2', readCodecKeys({ PAYLOAD_KEYS_DIR: keysDir, PAYLOAD_KEY_ID: 'k2' })!.keys.get('k2')!],
      ]),
    });
    await expect(withoutOldKey.decode([sealed!])).rejects.toThrow(/key k1, which is not configured/);
    const tampered = { ...sealed!, data: Buffer.from(sealed!.data!).fill(1, 20, 21) };
    await expect(rotated.decode([tampered])).rejects.toThrow();
  });

  it('refuses incomplete key configuration with one line naming the variable', () => {
    expect(readCodecKeys({})).toBeUndefined();
    expect(() => readCodecKeys({ PAYLOAD_KEYS_DIR: keysDir })).toThrow(/^PAYLOAD_KEY_ID: required/);
    expect(() => readCodecKeys({ PAYLOAD_KEYS_DIR: keysDir, PAYLOAD_KEY_ID: 'k9' })).toThrow(
      /^PAYLOAD_KEY_ID: no k9\.key/,
    );
  });
});

describe('the codec endpoint', () => {
  it('takes `{}` (the Temporal CLI’s body for a call without arguments) as no payloads', async () => {
    const response = await codecCall(encrypted, {});
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ payloads: [] });
  });

  it('on a loopback listener, still needs the scope for a forwarded caller or a foreign Host (a proxy, a rebound DNS name)', async () => {
    expect((await codecCall(encrypted, {})).status).toBe(200);
    expect((await codecCall(encrypted, {}, undefined, { 'x-forwarded-for': '203.0.113.7' })).status).toBe(
      401,
    );
    expect((await codecCall(encrypted, {}, undefined, { forwarded: 'for=203.0.113.7' })).status).toBe(401);
    expect((await codecCall(encrypted, {}, undefined, { host: 'attacker.example' })).status).toBe(401);
    expect((await codecCall(encrypted, {}, undefined, { host: 'localhost:8233' })).status).toBe(200);
  });

  it('needs the codec scope when its listener is not bound to loopback, even from loopback', async () => {
    expect((await codecCall(exposed, {})).status).toBe(401);
    const noCodec = await exposed.mint(['packets:read', 'packets:claim', 'packets:create', 'packets:close']);
    const codecOnly = await exposed.mint(['codec']);
    const refused = await codecCall(exposed, {}, noCodec.token);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ scope: 'codec' });
    expect((await codecCall(exposed, {}, codecOnly.token)).status).toBe(200);
    // A browser's preflight carries no credentials and reveals nothing.
    expect((await fetch(`${exposed.url}/codec/decode`, { method: 'OPTIONS' })).status).toBe(204);
  });

  it('lets `temporal workflow query --codec-endpoint` show an encrypted workflow’s state in clear', async () => {
    const { authNo } = await encrypted.openPacket({
      amount: '2.00',
      shares: 2,
      split: 'fixed',
      ttlSeconds: 600,
    });
    const query = [
      'workflow',
      'query',
      '--workflow-id',
      `red-packet-${authNo}`,
      '--name',
      'state',
      '-o',
      'json',
    ];
    const without = await temporalCli(...query);
    expect(without).not.toContain(authNo);

    const onLoopback = await temporalCli(...query, '--codec-endpoint', `${encrypted.url}/codec`);
    expect(onLoopback).toContain(`"authNo": "${authNo}"`);
    expect(onLoopback).toContain('"status": "OPEN"');

    const keyed = await exposed.mint(['codec']);
    const withKey = await temporalCli(
      ...query,
      '--codec-endpoint',
      `${exposed.url}/codec`,
      '--codec-auth',
      `Bearer ${keyed.token}`,
    );
    expect(withKey).toContain(`"authNo": "${authNo}"`);
    await expect(temporalCli(...query, '--codec-endpoint', `${exposed.url}/codec`)).rejects.toThrow(
      /Unauthorized/,
    );
    await encrypted.request('POST', `/red-packets/${authNo}/refund`);
  });
});
