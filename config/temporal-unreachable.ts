/** Temporal could not be reached at start-up; the message names the address and the variable. */
export class TemporalUnreachableError extends Error {
  override name = 'TemporalUnreachableError';
  constructor(address: string, cause: unknown) {
    const reason = cause instanceof Error ? (cause.message.split('\n')[0] ?? '') : String(cause);
    super(`TEMPORAL_ADDRESS: cannot reach Temporal at ${address} (${reason})`, { cause });
  }
}
