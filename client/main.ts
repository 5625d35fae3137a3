// The production HTTP server: `npm run server`. Two listeners (SERVER_LISTENERS picks one or both):
// the service API with API keys (red packets, metrics, the codec endpoint when payload encryption
// is on) on HTTP_HOST:HTTP_PORT, and the Alipay webhook on WEBHOOK_HOST:WEBHOOK_PORT.
import { payloadCodecFromEnv } from '../codec/key-files';
import { readAlipayVerifier } from '../config/alipay';
import { readHttpConfig, readTemporalConfig } from '../config/env';
import { ConfigError } from '../config/errors';
import { ApiKeyStore } from './http/api-key-store';
import { startListeners } from './http/listeners';
import { createOrderClient } from './order-client';
import { createRedPacketClient } from './red-packet-client';
import { startTracing } from '../tracing/setup';
import { connectClient } from './temporal-connection';

async function main(): Promise<void> {
  const temporalConfig = readTemporalConfig();
  if (!temporalConfig.address)
    throw new ConfigError('TEMPORAL_ADDRESS', 'required for the standalone HTTP server');
  const http = readHttpConfig();
  const alipay = readAlipayVerifier();
  const codec = payloadCodecFromEnv();
  let keys: ApiKeyStore | undefined;
  if (http.run.api) {
    if (!http.apiKeysFile)
      throw new ConfigError(
        'API_KEYS_FILE',
        'required for the API listener (mint a key with `npm run -s redpacket -- keys create --scopes ...`)',
      );
    keys = new ApiKeyStore(http.apiKeysFile, {
      onReloadError: (problem) => console.error(`server: ${problem}`),
    });
  }
  const tracing = startTracing('red-packets-http');
  const temporal = await connectClient(
    temporalConfig.address,
    temporalConfig.namespace,
    codec,
    undefined,
    tracing !== undefined,
  );
  const listeners = await startListeners({
    config: http,
    temporal,
    packets: createRedPacketClient(temporal, temporalConfig.taskQueue, { traced: tracing !== undefined }),
    orders: createOrderClient(temporal, temporalConfig.taskQueue),
    alipay,
    keys,
    settings: { refundNotifyWaitMs: http.refundNotifyWaitMs },
    codec: codec && {
      codec,
      allowedOrigin: process.env.CODEC_CORS_ORIGIN?.trim() || 'http://localhost:8233',
    },
    logger: true,
    tracing: tracing !== undefined,
    packetCounts: { taskQueue: temporalConfig.taskQueue },
  });
  if (listeners.api) console.log(`server: service API on ${listeners.api.url}`);
  if (listeners.webhook) console.log(`server: Alipay webhook on ${listeners.webhook.url}/alipay/notify`);
  const stop = (): void => {
    keys?.close();
    void listeners
      .close()
      .then(() => temporal.connection.close())
      .then(() => tracing?.shutdown())
      .then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(`server: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  process.exit(1);
});
