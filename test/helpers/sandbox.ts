import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlipayGateway } from '../../alipay/gateway';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../sandbox/server';

/** A sandbox on a free port with fresh keys in a temp dir. */
export function startTestSandbox(options: Partial<SandboxOptions> = {}): Promise<RunningSandbox> {
  return startSandbox({ keyDir: mkdtempSync(join(tmpdir(), 'sandbox-keys-')), timeScale: 0.001, ...options });
}

/** Our own gateway client, configured as a merchant of that sandbox. */
export function merchantGateway(
  sandbox: RunningSandbox,
  overrides: { headersTimeoutMs?: number; traced?: boolean } = {},
): AlipayGateway {
  return new AlipayGateway({
    gateway: sandbox.gatewayUrl,
    appId: sandbox.keys.appId,
    privateKey: sandbox.keys.appPrivateKey,
    alipayPublicKey: sandbox.keys.alipayPublicKey,
    headersTimeoutMs: overrides.headersTimeoutMs ?? 2_000,
    bodyTimeoutMs: overrides.headersTimeoutMs ?? 2_000,
    traced: overrides.traced,
  });
}
