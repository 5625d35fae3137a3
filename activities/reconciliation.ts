// The reconciliation's activities: which packets to check for a day (visibility), each packet's
// booked operations against Alipay's query (its ledger read from its result or state), and the
// day's bill against the pays and refunds found. They run on their own task queue
// (reconciliationTaskQueue), paced so that a large day stays under the merchant's Alipay limits.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { BillNotReadyError, fetchSigncustomerBill } from '../alipay/bill';
import { BillFormatError } from '../alipay/bill-file';
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
  type BookedPacket,
  type DifferenceKind,
  type Findings,
  type KnownOperation,
  type QueriedOperation,
} from '../workflows/reconciliation-differences';
import {
  BILL_UNREADABLE,
  MAX_LISTED_DIFFERENCES,
  type BillMatch,
  type PacketFindings,
  type PacketListPage,
  type ReconciliationFindings,
} from '../workflows/reconciliation-messages';
import { WORKFLOW_TYPE, type ClaimView } from '../workflows/messages';
import { disburseRequestNumbers } from '../workflows/request-numbers';
import { isNotFound } from './failures';
import { heartbeating } from './heartbeat';

export interface ReconciliationConfig {
  /** Alipay queries a second from one activity; the worker runs a few activities at a time. */
  alipayCallsPerSecond?: number;
}

const DEFAULT_CALLS_PER_SECOND = 10;
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

  async function ask(query: OperationQuery, pace: () => Promise<void>): Promise<AlipayOperation | undefined> {
    await pace();
    Context.current().heartbeat();
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
      Context.current().heartbeat();
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
     * One packet's ledger (from its result, or its state while it runs) against Alipay's answers
     * to a query for each of its operations: the pay by its operation id, payouts and refund by
     * their request numbers. Answers the differences and the pays and refunds for the bill.
     */
    checkPacketWithAlipay(input: { authNo: string }): Promise<PacketFindings> {
      return heartbeating(async () => {
        const pace = pacer(perSecond);
        const { state, claims } = await readPacket(Context.current().client, input.authNo);
        if (state.status === 'REJECTED' || state.status === 'VERIFYING_FUNDING')
          return {
            authNo: input.authNo,
            skipped: `${state.status}: no money moved`,
            ...capped({ matched: 0, differences: [] }),
            billable: [],
            pending: 0,
          };
        const keys = state.alipayKeys;
        if (!keys)
          return {
            authNo: input.authNo,
            skipped: 'its ledger predates reconciliation (no Alipay keys in its state)',
            ...capped({ matched: 0, differences: [] }),
            billable: [],
            pending: 0,
          };
        const operations: BookedOperation[] = [];
        const queried: Record<string, QueriedOperation> = {};
        const unchecked: string[] = [];

        if (keys.funding) {
          const pay = await ask(
            'payOperationId' in keys.funding
              ? { authNo: input.authNo, operationId: keys.funding.payOperationId }
              : { outOrderNo: keys.outOrderNo, outRequestNo: keys.funding.payOutRequestNo },
            pace,
          );
          const number =
            pay?.outRequestNo ??
            ('payOutRequestNo' in keys.funding
              ? keys.funding.payOutRequestNo
              : `operation ${keys.funding.payOperationId}`);
          operations.push({
            type: 'PAY',
            outRequestNo: number,
            amountFen: state.totalFen,
            status: 'SUCCESS',
          });
          queried[number] = answerOf(pay);
        } else unchecked.push('its pay (the packet names none)');

        let pending = 0;
        for (const claim of claims) {
          if (claim.status === 'PENDING') {
            pending += 1;
            continue;
          }
          const numbers = disburseRequestNumbers(input.authNo, claim.seq, keys.requestTag);
          operations.push({
            type: 'DISBURSE',
            outRequestNo: numbers.outRequestNo,
            amountFen: claim.amountFen,
            status: claim.status === 'PAID' ? 'SUCCESS' : 'FAILED',
          });
          queried[numbers.outRequestNo] = answerOf(await ask(numbers, pace));
        }

        const { refund } = state;
        if (refund && (refund.status === 'SUCCESS' || refund.status === 'BLOCKED')) {
          if (refund.status === 'SUCCESS' && refund.source === 'ALIPAY_TIMEOUT') {
            if (keys.timeoutRefundOperationId) {
              const found = await ask(
                { authNo: input.authNo, operationId: keys.timeoutRefundOperationId },
                pace,
              );
              const number = found?.outRequestNo ?? `operation ${keys.timeoutRefundOperationId}`;
              operations.push({
                type: 'REFUND',
                outRequestNo: number,
                amountFen: refund.amountFen,
                status: 'SUCCESS',
              });
              queried[number] = answerOf(found);
            } else unchecked.push("Alipay's timeout refund (its notification named no operation)");
          } else {
            operations.push({
              type: 'REFUND',
              outRequestNo: refund.outRequestNo,
              amountFen: refund.amountFen,
              status: refund.status === 'SUCCESS' ? 'SUCCESS' : 'FAILED',
            });
            queried[refund.outRequestNo] = answerOf(
              await ask({ outOrderNo: keys.outOrderNo, outRequestNo: refund.outRequestNo }, pace),
            );
          }
        } else if (refund) pending += 1;

        const packet: BookedPacket = {
          authNo: input.authNo,
          totalFen: state.totalFen,
          settled: state.status === 'COMPLETED',
          operations,
        };
        const check = checkPacket(packet, queried);
        const billable: KnownOperation[] = check.known.filter((known) => known.operation.type !== 'DISBURSE');
        return {
          authNo: input.authNo,
          ...(unchecked.length > 0 ? { skipped: `not checked: ${unchecked.join('; ')}` } : {}),
          ...capped(check),
          billable,
          pending,
        };
      });
    },

    /**
     * The day's `signcustomer` bill against our pays and refunds, or why there is none yet: a bill
     * Alipay has not made is an answer to wait on (the workflow asks again), never an empty bill.
     */
    matchDayBill(input: { day: string; billable: KnownOperation[] }): Promise<BillMatch> {
      return heartbeating(async () => {
        let lines;
        try {
          lines = await fetchSigncustomerBill(gateway, input.day);
        } catch (error) {
          if (error instanceof BillNotReadyError) return { ready: false, detail: error.message };
          if (error instanceof BillFormatError)
            throw ApplicationFailure.nonRetryable(
              `Alipay's bill for ${input.day} cannot be read: ${error.message}`,
              BILL_UNREADABLE,
            );
          throw error;
        }
        return {
          ready: true,
          ...capped(matchBill(input.day, input.billable, lines)),
          billLines: lines.length,
        };
      });
    },
  };
}

export type ReconciliationActivities = ReturnType<typeof createReconciliationActivities>;
export type { DifferenceKind };
