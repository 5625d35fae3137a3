// The daily account bill: `alipay.data.dataservice.bill.downloadurl.query` answers a short-lived
// URL (Alipay: void unless downloaded within 30 seconds) of a ZIP that bill-file.ts reads. The
// bill of a Beijing business day is ready from about 09:00 the next day; before that Alipay
// answers 40004 `isp.bill_not_exist`, which is "not yet", never "an empty day".
import { request } from 'undici';
import { parseSigncustomerBill, MAX_BILL_BYTES, type BillLine } from './bill-file';
import { AlipayError } from './errors';
import type { AlipayTransport } from './gateway';

export const BILL_DOWNLOAD_URL_METHOD = 'alipay.data.dataservice.bill.downloadurl.query';
/** The merchant account's bill: every movement of its balance (pays out, refunds back). */
export const SIGNCUSTOMER = 'signcustomer';
/** yyyy-MM-dd of a day that exists (month 1 to 12, day within the month). */
export function isBillDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const day = new Date(`${text}T00:00:00.000Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().startsWith(text);
}
const DOWNLOAD_TIMEOUT_MS = 30_000;
const DOWNLOAD_DEADLINE_MS = 120_000;

/** The bill is not there (yet): ask again later. */
export class BillNotReadyError extends Error {
  override name = 'BillNotReadyError';
}

export async function queryBillDownloadUrl(gateway: AlipayTransport, billDate: string): Promise<string> {
  if (!isBillDate(billDate))
    throw new RangeError(`bill_date must be yyyy-MM-dd, got ${JSON.stringify(billDate)}`);
  try {
    const node = await gateway.execute(BILL_DOWNLOAD_URL_METHOD, {
      bill_type: SIGNCUSTOMER,
      bill_date: billDate,
    });
    const url = node.bill_download_url;
    if (typeof url !== 'string' || !/^https?:\/\//.test(url))
      throw new AlipayError('response lacks bill_download_url', {
        kind: 'transient',
        method: BILL_DOWNLOAD_URL_METHOD,
      });
    return url;
  } catch (error) {
    if (error instanceof AlipayError && error.subCode === 'isp.bill_not_exist')
      throw new BillNotReadyError(`Alipay has no ${SIGNCUSTOMER} bill for ${billDate} yet`);
    throw error;
  }
}

/** Fetches the ZIP behind a download URL, at most MAX_BILL_BYTES. */
/**
 * The ZIP is not signed: only TLS vouches for it, so a link is followed over https (plain http only
 * to this machine, where the sandbox serves it).
 */
function checkedLink(url: string): URL {
  const link = new URL(url);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(link.hostname);
  if (link.protocol !== 'https:' && !(link.protocol === 'http:' && loopback))
    throw new Error(`a bill is downloaded over https (plain http only from this machine), not ${url}`);
  return link;
}

export async function downloadBill(url: string): Promise<Uint8Array> {
  const response = await request(checkedLink(url), {
    headersTimeout: DOWNLOAD_TIMEOUT_MS,
    bodyTimeout: DOWNLOAD_TIMEOUT_MS,
    // The whole download, however slowly the bytes trickle.
    signal: AbortSignal.timeout(DOWNLOAD_DEADLINE_MS),
  });
  if (response.statusCode !== 200) {
    await response.body.dump();
    // An expired link: a new one is asked for on the next attempt.
    throw new Error(`the bill download answered HTTP ${response.statusCode}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BILL_BYTES) {
      response.body.destroy();
      throw new Error(`the bill download is larger than ${MAX_BILL_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** One Beijing day's `signcustomer` lines: asks for the URL, downloads, parses. */
export async function fetchSigncustomerBill(gateway: AlipayTransport, billDate: string): Promise<BillLine[]> {
  return parseSigncustomerBill(await downloadBill(await queryBillDownloadUrl(gateway, billDate)));
}
