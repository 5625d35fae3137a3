/** `yyyy-MM-dd HH:mm:ss` in UTC+8 (Beijing time), whatever the machine's time zone. */
export function alipayTimestamp(at: Date): string {
  const beijing = new Date(at.getTime() + 8 * 3600_000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${beijing.getUTCFullYear()}-${two(beijing.getUTCMonth() + 1)}-${two(beijing.getUTCDate())} ` +
    `${two(beijing.getUTCHours())}:${two(beijing.getUTCMinutes())}:${two(beijing.getUTCSeconds())}`
  );
}
