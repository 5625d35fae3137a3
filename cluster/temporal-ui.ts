// The Temporal UI for the cluster: the UI server (the same release as docker-compose.yml's
// `temporalio/ui`) reaching the frontend through the cluster's mTLS with the client certificate,
// listening on the loopback only, read-only.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterCertificates } from './certificates';
import { startProcess, type ManagedProcess } from './processes';
import { NAMESPACE } from './versions';

export const UI_CONFIG_ENV = 'cluster';

/** The UI server's configuration: `<root>/config/cluster.yaml`, as its `--env cluster` reads it. */
export function uiServerConfig(input: { address: string; port: number; certs: ClusterCertificates }): object {
  return {
    temporalGrpcAddress: input.address,
    host: '127.0.0.1',
    port: input.port,
    enableUi: true,
    // The UI sends what it is asked with the cluster's client certificate and has no login of its
    // own: anyone who reaches its port would hold the certificate's rights. It only reads; an
    // operator signals (retryRefund, closeNow) with the CLI and the certificate, as the blocked
    // packet's details say.
    disableWriteActions: true,
    defaultNamespace: NAMESPACE,
    cors: { allowOrigins: [`http://127.0.0.1:${input.port}`, `http://localhost:${input.port}`] },
    tls: {
      caFile: input.certs.caFile,
      certFile: input.certs.clientCertFile,
      keyFile: input.certs.clientKeyFile,
      serverName: input.certs.serverName,
      enableHostVerification: true,
    },
  };
}

export function writeUiConfig(root: string, input: Parameters<typeof uiServerConfig>[0]): void {
  mkdirSync(join(root, 'config'), { recursive: true });
  // JSON is YAML: no YAML writer needed.
  writeFileSync(
    join(root, 'config', `${UI_CONFIG_ENV}.yaml`),
    JSON.stringify(uiServerConfig(input), null, 2),
  );
}

export function startTemporalUi(
  binary: string,
  root: string,
  logFile: string,
  onUnexpectedExit: (name: string, how: string) => void,
): ManagedProcess {
  return startProcess({
    name: 'temporal-ui',
    command: binary,
    args: ['--root', root, '--config', 'config', '--env', UI_CONFIG_ENV, 'start'],
    logFile,
    onUnexpectedExit,
  });
}

/** Resolves once the UI answers; rejects when its process exits first or after `timeoutMs`. */
export async function waitForUi(url: string, ui: ManagedProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!ui.running()) throw new Error(`the Temporal UI stopped while starting; see ${ui.logFile}`);
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the Temporal UI did not answer on ${url}; see ${ui.logFile}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
