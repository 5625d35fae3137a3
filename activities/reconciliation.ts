// The reconciliation's activities: which packets to check for a day (visibility), each packet's
// booked operations against Alipay's query (its ledger read from its result or state), and the
// day's bill against the pays and refunds found. They run on their own task queue
// (reconciliationTaskQueue), paced so that a large day stays under the merchant's Alipay limits.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { BillNotReadyError, fetchSigncustomerBill } from '../alipay/bill';
import { BillFormatError, type BillLine } from '../alipay/bill-file';
import type { AlipayTransport } from '../alipay/gateway';
import {
  queryOperation,
  type OperationQuery,
  type QueriedOperation as AlipayOperation,
} from '../alipay/methods';
import { createPacketReads, type PacketReading } from '../client/packet-reads';
import {
  checkPacket,
  countByKind,
  matchBill,
  type BookedOperation,
  type DifferenceKind,
  type Findings,
  type QueriedOperation,
} from '../workflows/reconciliation-differences';
import {
  BILL_UNREADABLE,
  MAX_LISTED_DIFFERENCES,
  type BillReadiness,
  type PacketFindings,
  type PacketListPage,
  type ReconciliationFindings,
} from '../workflows/reconciliation-messages';
import { WORKFLOW_TYPE, type ClaimView } from '../workflows/messages';
import { authNoFromRequestNo, disburseRequestNumbers } from '../workflows/request-numbers';
import { isNotFound } from './failures';
import { payQuery, refundedFromPay } from './verify-funding';
import { heartbeating } from './heartbeat';

export interface ReconciliationConfig {
  /** Alipay queries a second from one activity; the worker runs a few activities at a time. */
  alipayCallsPerSecond?: number;
}

const DEFAULT_CALLS_PER_SECOND = 10;
/** A bill, once read, serves a reconciliation's packets for this long (it never changes). */
const BILL_CACHE_MS = 3600_000;
const BILLS_CACHED = 2;
const BEIJING_OFFSET = '+08:00';

/** Closed at most once per Alipay call: the pace of one activity's queries. */
function pacer(perSecond: number): () => Promise<void> {
  const gapMs = 1000 / perSecond;
  let next = 0;
  return async () => {
    const wait = next - Date.now();
    next = Math.max(next, Date.now()) + gapMs;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  };
}

/**
 * The visibility query for one pass over a day's packets: every packet running now, then every
 * run closed since the day began (its last run, or a run that continued as new: a packet that
 * moved on between the passes is still found once). Packets are on `packetTaskQueue`.
 */
export function packetsOfDayQuery(day: string, packetTaskQueue: string, pass: 'running' | 'closed'): string {
  const dayStart = new Date(`${day}T00:00:00${BEIJING_OFFSET}`).toISOString();
  const queue = packetTaskQueue.replaceAll("'", '');
  const packets = `WorkflowType = '${WORKFLOW_TYPE}' AND TaskQueue = '${queue}'`;
  return pass === 'running'
    ? `${packets} AND ExecutionStatus = 'Running'`
    : `${packets} AND ExecutionStatus != 'Running' AND CloseTime >= '${dayStart}'`;
}

/** Beijing day of Alipay's `yyyy-MM-dd HH:mm:ss` (already Beijing time). */
function dayOf(operation: AlipayOperation): string | undefined {
  return (operation.gmtTrans ?? operation.gmtCreate)?.slice(0, 10);
}

function answerOf(operation: AlipayOperation | undefined): QueriedOperation {
  if (!operation) return { found: false };
  const day = dayOf(operation);
  return {
    found: true,
    operationId: operation.operationId,
    amountFen: operation.amount,
    status: operation.status,
    ...(day ? { day } : {}),
  };
}

function capped(findings: Findings): ReconciliationFindings {
  return {
    matched: findings.matched,
    differencesByKind: countByKind(findings.differences),
    differences: findings.differences.slice(0, MAX_LISTED_DIFFERENCES),
  };
}

export function createReconciliationActivities(gateway: AlipayTransport, config: ReconciliationConfig = {}) {
  const perSecond = config.alipayCallsPerSecond ?? DEFAULT_CALLS_PER_SECOND;
  /** Each reconciliation's bill, read once per process (all its packets match against it). */
  const bills = new Map<string, { at: number; lines: Promise<BillLine[]> }>();

  /** The bill of `day` as this reconciliation (`run`) read it: a later run reads it afresh. */
  function billOf(day: string, run: string): Promise<BillLine[]> {
    const key = `${day} ${run}`;
    const cached = bills.get(key);
    if (cached && Date.now() - cached.at < BILL_CACHE_MS) return cached.lines;
    const lines = fetchBill(day);
    bills.set(key, { at: Date.now(), lines });
    while (bills.size > BILLS_CACHED) bills.delete(bills.keys().next().value!);
    lines.catch(() => bills.delete(key));
    return lines;
  }

  async function fetchBill(day: string): Promise<BillLine[]> {
    try {
      return await fetchSigncustomerBill(gateway, day);
    } catch (error) {
      if (error instanceof BillFormatError)
        throw ApplicationFailure.nonRetryable(
          `Alipay's bill for ${day} cannot be read: ${error.message}`,
          BILL_UNREADABLE,
        );
      throw error;
    }
  }

  async function ask(query: OperationQuery, pace: () => Promise<void>): Promise<AlipayOperation | undefined> {
    await pace();
    try {
      return await queryOperation(gateway, query);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Every claim of the packet: its claim pages, then the ones it holds. */
  async function readPacket(
    client: Client,
    authNo: string,
  ): Promise<{ state: PacketReading; claims: ClaimView[] }> {
    const reads = createPacketReads(client);
    const claims: ClaimView[] = [];
    let cursor: string | undefined;
    let state: PacketReading | undefined;
    do {
      const page = await reads.readClaims(authNo, cursor === undefined ? {} : { cursor });
      state ??= page.state;
      claims.push(...page.state.claims);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return { state: state!, claims };
  }

  return {
    /** One page of the packets to check for `day` (yyyy-MM-dd, Beijing), by visibility. */
    async listPacketsOfDay(input: {
      day: string;
      packetTaskQueue: string;
      pass: 'running' | 'closed';
      nextPageToken?: string;
      pageSize: number;
    }): Promise<PacketListPage> {
      const { client } = Context.current();
      const response = await client.workflowService.listWorkflowExecutions({
        namespace: client.options.namespace,
        query: packetsOfDayQuery(input.day, input.packetTaskQueue, input.pass),
        pageSize: input.pageSize,
        nextPageToken: input.nextPageToken ? Buffer.from(input.nextPageToken, 'base64') : undefined,
      });
      const authNos = [
        ...new Set(
          (response.executions ?? [])
            .map((execution) => execution.execution?.workflowId ?? '')
            .filter((id) => id.startsWith('red-packet-'))
            .map((id) => id.slice('red-packet-'.length)),
        ),
      ];
      const token = response.nextPageToken;
      return {
        authNos,
        nextPageToken: token && token.length > 0 ? Buffer.from(token).toString('base64') : null,
      };
    },

    /**
     * Whether Alipay has made the day's bill (and it reads): the workflow waits on this before it
     * checks packets, so a bill not made yet is waited for, never taken as empty.
     */
    billReadiness(input: { day: string; run: string }): Promise<BillReadiness> {
      return heartbeating(async () => {
        try {
          return { ready: true, lines: (await billOf(input.day, input.run)).length };
        } catch (error) {
          if (error instanceof BillNotReadyError) return { ready: false, detail: error.message };
          throw error;
        }
      });
    },

    /**
     * One packet's ledger (from its result, or its state while it runs) against Alipay's answers
     * to a query for each of its operations (the pay by its operation id, payouts and refund by
     * their request numbers) and, with `matchBill`, against the day's bill lines under its numbers.
     */
    checkPacketWithAlipay(input: {
      authNo: string;
      day: string;
      /** The reconciliation's first run id: its bill is read once per process. */
      run: string;
      matchBill: boolean;
    }): Promise<PacketFindings> {
      return heartbeating(async () => {
        const pace = pacer(perSecond);
        const { state, claims } = await readPacket(Context.current().client, input.authNo);
        const nothing = { ...capped({ matched: 0, differences: [] }), billLinesHandled: [], pending: 0 };
        if (state.status === 'REJECTED' || state.status === 'VERIFYING_FUNDING')
          return { authNo: input.authNo, skipped: `${state.status}: it moved no money of ours`, ...nothing };
        const keys = state.alipayKeys;
        if (!keys)
          return {
            authNo: input.authNo,
            skipped: 'its ledger predates reconciliation (no Alipay keys in its state)',
            ...nothing,
          };
        const operations: BookedOperation[] = [];
        const queried: Record<string, QueriedOperation> = {};
        const unchecked: string[] = [];
        const book = (operation: BookedOperation, answer: QueriedOperation): void => {
          operations.push(operation);
          queried[operation.outRequestNo] = answer;
        };

        const payReference = keys.funding && {
          authNo: input.authNo,
          outOrderNo: keys.outOrderNo,
          funding: keys.funding,
        };
        if (payReference) {
          const pay = await ask(payQuery(payReference), pace);
          const number =
            pay?.outRequestNo ??
            ('payOutRequestNo' in payReference.funding
              ? payReference.funding.payOutRequestNo
              : `operation ${payReference.funding.payOperationId}`);
          book(
            { type: 'PAY', outRequestNo: number, amountFen: state.totalFen, status: 'SUCCESS' },
            answerOf(pay),
          );
        } else unchecked.push('its pay (the packet names none)');

        let pending = 0;
        for (const claim of claims) {
          if (claim.status === 'PENDING') {
            pending += 1;
            continue;
          }
          const numbers = disburseRequestNumbers(input.authNo, claim.seq, keys.requestTag);
          book(
            {
              type: 'DISBURSE',
              outRequestNo: numbers.outRequestNo,
              amountFen: claim.amountFen,
              status: claim.status === 'PAID' ? 'SUCCESS' : 'FAILED',
            },
            answerOf(await ask(numbers, pace)),
          );
        }

        const { refund } = state;
        if (refund?.status === 'SUCCESS' && refund.source === 'ALIPAY_TIMEOUT') {
          const operationId = keys.timeoutRefundOperationId;
          if (operationId) {
            const found = await ask({ authNo: input.authNo, operationId }, pace);
            book(
              {
                type: 'REFUND',
                outRequestNo: found?.outRequestNo ?? `operation ${operationId}`,
                amountFen: refund.amountFen,
                status: 'SUCCESS',
              },
              answerOf(found),
            );
          } else {
            // Settled by Alipay's refund total (its notification lost): the amount is checked
            // against that total; which bill line it is, Alipay never said.
            await pace();
            const refundedFen = payReference ? await refundedFromPay(gateway, payReference) : 0;
            book(
              {
                type: 'REFUND',
                outRequestNo: `Alipay's timeout refund of ${input.authNo}`,
                amountFen: refund.amountFen,
                status: 'SUCCESS',
              },
              refundedFen > 0
                ? { found: true, operationId: '', amountFen: refundedFen, status: 'SUCCESS', day: 'unknown' }
                : { found: false },
            );
            unchecked.push(
              "the bill line of Alipay's timeout refund (its notification, which names it, was lost)",
            );
          }
        } else if (refund && refund.status !== 'PENDING') {
          const answer = answerOf(
            await ask({ outOrderNo: keys.outOrderNo, outRequestNo: refund.outRequestNo }, pace),
          );
          // Sent and not yet confirmed to us: ours once Alipay shows it done, still on its way otherwise.
          const settledAtAlipay = answer.found && answer.status === 'SUCCESS';
          if (refund.status === 'SENT' && !settledAtAlipay) pending += 1;
          else
            book(
              {
                type: 'REFUND',
                outRequestNo: refund.outRequestNo,
                amountFen: refund.amountFen,
                status: refund.status === 'BLOCKED' ? 'FAILED' : 'SUCCESS',
              },
              answer,
            );
        } else if (refund) pending += 1;

        const check = checkPacket(
          {
            authNo: input.authNo,
            totalFen: state.totalFen,
            settled: state.status === 'COMPLETED',
            operations,
          },
          queried,
        );
        let billLinesHandled: string[] = [];
        let findings: Findings = check;
        if (input.matchBill) {
          const numbers = new Set(operations.map((operation) => operation.outRequestNo));
          const lines = (await billOf(input.day, input.run)).filter((line) =>
            numbers.has(line.merchantOrderNo),
          );
          const billed = matchBill(input.day, check.known, lines);
          findings = {
            matched: check.matched + billed.matched,
            differences: [...check.differences, ...billed.differences],
          };
          billLinesHandled = lines.map((line) => line.accountSerial);
        }
        return {
          authNo: input.authNo,
          ...(unchecked.length > 0 ? { skipped: `not checked: ${unchecked.join('; ')}` } : {}),
          ...capped(findings),
          billLinesHandled,
          pending,
        };
      });
    },

    /**
     * The day's bill lines no packet claimed as its own: money Alipay shows moving that none of
     * our packets booked (named by packet when the number is one of ours).
     */
    unclaimedBillLines(input: {
      day: string;
      run: string;
      handled: string[];
    }): Promise<ReconciliationFindings & { billLines: number }> {
      return heartbeating(async () => {
        const lines = await billOf(input.day, input.run);
        const handled = new Set(input.handled);
        const findings = matchBill(
          input.day,
          [],
          lines.filter((line) => !handled.has(line.accountSerial)),
        );
        for (const difference of findings.differences)
          difference.authNo ??=
            (difference.outRequestNo && authNoFromRequestNo(difference.outRequestNo)) || null;
        return { ...capped(findings), billLines: lines.length };
      });
    },
  };
}

export type ReconciliationActivities = ReturnType<typeof createReconciliationActivities>;
export type { DifferenceKind };
