// Delivers signed notifications the way Alipay does: form-encoded POST, retried on Alipay's
// schedule until the answer is exactly `success`, with the same notify_id every time.
import { randomBytes, type KeyObject } from 'node:crypto';
import { request } from 'undici';
import { buildSignContent, signRsa2 } from '../alipay/sign';
import { alipayTimestamp } from '../alipay/timestamp';
import type { Faults } from './faults';

/** Alipay's retry delays after the first attempt: 4m, 10m, 10m, 1h, 2h, 6h, 15h. */
export const ALIPAY_RETRY_SCHEDULE_MS = [4, 10, 10, 60, 120, 360, 900].map((minutes) => minutes * 60_000);

export interface Delivery {
  notifyId: string;
  url: string;
  attempt: number;
  /** What the receiver answered, or DROPPED when a fault dropped the notification unsent. */
  answer: string;
  at: Date;
}

export const DROPPED = 'DROPPED (sandbox fault: never sent)';

export interface NotifierOptions {
  alipayPrivateKey: KeyObject;
  faults: Faults;
  /** Multiplies every retry delay: 0.001 turns 4 minutes into 240 ms. */
  timeScale: number;
  onDelivery?: (delivery: Delivery) => void;
}

export class Notifier {
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Notifications with an attempt on its way or still to come: not answered `success`, not given up. */
  private readonly unsettled = new Set<string>();
  private readonly deliveries: Delivery[] = [];
  private stopped = false;

  constructor(private readonly options: NotifierOptions) {}

  /**
   * Signs the fields, gives them a notify_id and starts delivery. `firstAttempt` settles once the
   * first delivery attempt has been answered (at once for a dropped notification).
   */
  send(url: string, fields: Record<string, string>): { notifyId: string; firstAttempt: Promise<void> } {
    const notifyId = randomBytes(16).toString('hex');
    const params: Record<string, string> = {
      ...fields,
      notify_id: notifyId,
      notify_time: alipayTimestamp(new Date()),
      sign_type: 'RSA2',
    };
    params.sign = signRsa2(buildSignContent(params, ['sign', 'sign_type']), this.options.alipayPrivateKey);
    const faults = this.options.faults;
    if (faults.roll(faults.notify().dropRate)) {
      this.record({ notifyId, url, attempt: 0, answer: DROPPED, at: new Date() });
      return { notifyId, firstAttempt: Promise.resolve() };
    }
    const copies = faults.roll(faults.notify().duplicateRate) ? 2 : 1;
    this.unsettled.add(notifyId);
    return { notifyId, firstAttempt: this.attempt(url, params, 0, copies) };
  }

  private async attempt(
    url: string,
    params: Record<string, string>,
    attempt: number,
    copies: number,
  ): Promise<void> {
    const notifyId = params.notify_id!;
    if (this.stopped) return void this.unsettled.delete(notifyId);
    const answers = await Promise.all(Array.from({ length: copies }, () => this.post(url, params)));
    for (const answer of answers) this.record({ notifyId, url, attempt, answer, at: new Date() });
    const delay = ALIPAY_RETRY_SCHEDULE_MS[attempt];
    if (answers.includes('success') || delay === undefined || this.stopped) {
      this.unsettled.delete(notifyId);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(url, params, attempt + 1, copies);
    }, delay * this.options.timeScale);
    this.timers.add(timer);
  }

  private record(delivery: Delivery): void {
    this.deliveries.push(delivery);
    this.options.onDelivery?.(delivery);
  }

  /** Whether an attempt of this notification is on its way or still to come. */
  retryPending(notifyId: string): boolean {
    return this.unsettled.has(notifyId);
  }

  private async post(url: string, params: Record<string, string>): Promise<string> {
    try {
      const response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
        body: new URLSearchParams(params).toString(),
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      const text = await response.body.text();
      return response.statusCode === 200 ? text : `HTTP ${response.statusCode}: ${text.slice(0, 100)}`;
    } catch (error) {
      return `error: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  history(): readonly Delivery[] {
    return this.deliveries;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.unsettled.clear();
  }
}
