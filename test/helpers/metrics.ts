// Reading prom-client metrics in tests.
import type { Counter } from 'prom-client';

/** The counter's value for exactly these labels (0 when never counted). */
export async function counted<Name extends string>(
  counter: Counter<Name>,
  labels: Partial<Record<Name, string>>,
): Promise<number> {
  const { values } = await counter.get();
  const entry = values.find((value) =>
    Object.entries(labels).every(([name, wanted]) => value.labels[name as Name] === wanted),
  );
  return entry?.value ?? 0;
}
