import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Linux's default when /proc cannot be read. */
const DEFAULT_EPHEMERAL_LOW = 32768;
const LOWEST_CHOSEN = 20000;

/**
 * The lowest port the OS hands out for `listen(0)` and outgoing connections. Ports below it are
 * never given away by the OS, so a port chosen there cannot be taken in the meantime by a child
 * process (the Temporal dev server picks its internal ports with `listen(0)`).
 */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOWEST_CHOSEN + 1000 ? low : DEFAULT_EPHEMERAL_LOW;
  } catch {
    return DEFAULT_EPHEMERAL_LOW;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const handedOut = new Set<number>();

/**
 * A port for a child process to listen on: free on 127.0.0.1 now, below the OS's ephemeral range
 * (so no `listen(0)` elsewhere can take it before the child binds it), and never handed out twice
 * by this process. Servers started inside the test process listen on 0 and read their port back.
 */
export async function freePort(): Promise<number> {
  const span = ephemeralLow() - LOWEST_CHOSEN;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOWEST_CHOSEN + Math.floor(Math.random() * span);
    if (handedOut.has(port) || !(await isFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port found between ${LOWEST_CHOSEN} and ${LOWEST_CHOSEN + span}`);
}
