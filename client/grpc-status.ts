// Temporal's client errors carry the gRPC status deep in their cause chain.

/** A gRPC status (by code or by its name in the message) anywhere in an error's cause chain. */
export function hasGrpcStatus(error: unknown, code: number, name: RegExp): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if ((current as { code?: unknown }).code === code || name.test(current.message)) return true;
  }
  return false;
}
