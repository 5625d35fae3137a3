import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseFormEncoded } from '../../alipay/notify';

export interface NotifyReceiver {
  url: string;
  received: Array<Record<string, string>>;
  /** What the next answers are; `success` once the list runs out. */
  answers: string[];
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A merchant notify endpoint that records every delivery. */
export async function startNotifyReceiver(): Promise<NotifyReceiver> {
  const received: Array<Record<string, string>> = [];
  const answers: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push(parseFormEncoded(body));
      res.end(answers.shift() ?? 'success');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alipay/notify`,
    received,
    answers,
    async waitFor(count, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} notifications, got ${received.length}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
