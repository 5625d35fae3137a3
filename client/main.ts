// The production HTTP server: `npm run server`. Service API, Alipay webhook, metrics and (with
// payload encryption on) the codec endpoint for the Temporal UI.
import { payloadCodecFromEnv } from '../codec/key-files';
import { readAlipayVerifier } from '../config/alipay';
import { readHttpConfig, readTemporalConfig } from '../config/env';
import { ConfigError } from '../config/errors';
import { buildApp, LISTEN_BACKLOG } from './http/app';
import { createRedPacketClient } from './red-packet-client';
import { connectClient } from './temporal-connection';

async function main(): Promise<void> {
  const temporalConfig = readTemporalConfig();
  if (!temporalConfig.address)
    throw new ConfigError('TEMPORAL_ADDRESS', 'required for the standalone HTTP server');
  const http = readHttpConfig();
  const alipay = readAlipayVerifier();
  const codec = payloadCodecFromEnv();
  const temporal = await connectClient(temporalConfig.address, temporalConfig.namespace, codec);
  const app = await buildApp({
    temporal,
    packets: createRedPacketClient(temporal, temporalConfig.taskQueue),
    alipay,
    settings: { refundNotifyWaitMs: http.refundNotifyWaitMs },
    codec: codec && {
      codec,
      allowedOrigin: process.env.CODEC_CORS_ORIGIN?.trim() || 'http://localhost:8233',
    },
    logger: true,
  });
  await app.listen({ port: http.port, host: http.host, backlog: LISTEN_BACKLOG });
  const stop = (): void => {
    void app
      .close()
      .then(() => temporal.connection.close())
      .then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(`server: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  process.exit(1);
});
