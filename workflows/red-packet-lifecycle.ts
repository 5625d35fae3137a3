// RedPacketLifecycle: one durable workflow per red packet (id red-packet-<auth_no>).
// VERIFYING_FUNDING -> OPEN -> CLOSING -> REFUNDING -> AWAITING_REFUND_NOTIFY -> COMPLETED;
// fully claimed: OPEN -> COMPLETED; funding not shown by Alipay: VERIFYING_FUNDING -> REJECTED.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  patched,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { RedPacketClaimPage } from './claim-page';
import { settleDisbursement } from './disbursement';
import { carriedBytesAtMost, Ledger, type ClaimRecord, type LedgerSnapshot } from './ledger';
import { lifecycleV1, type CarriedStateV1 } from './legacy/lifecycle-v1';
import type { RedPacketStateV1 } from './legacy/messages-v1';
import {
  alipayNotifySignal,
  claimAnswersQuery,
  claimBatchUpdate,
  claimPageWorkflowId,
  claimUpdate,
  closeNowSignal,
  fundingSettledUpdate,
  MAX_CLAIM_BATCH,
  NOTHING_TO_ACCEPT,
  PACKET_BUSY,
  RED_PACKET_STATUS,
  retryRefundSignal,
  sealClaimPageSignal,
  stateQuery,
  type ClaimOutcome,
  type ClaimRequest,
  type FundingRejection,
  type IgnoredSignal,
  type PacketRefusalReason,
  type RedPacketInput,
  type RedPacketState,
  type RedPacketStatus,
  type RefundView,
} from './messages';
import { HANDLER_DESCRIPTIONS } from './handler-descriptions';
import { Notifications, type NotificationsSnapshot } from './notifications';
import { refundRemainder } from './refund-remainder';
import { disburseRequestNumbers, REQUEST_TAG } from './request-numbers';
import { describeForUi, toState, type StateParts } from './state-view';
import { checkFunding } from './verify-funding';

/** Marks histories of the bounded ledger; older ones replay through legacy/lifecycle-v1.ts. */
export const BOUNDED_LEDGER_PATCH = 'bounded-ledger';
/**
 * Marks lifecycles whose request numbers carry the input's request tag. A history begun by a
 * worker from before the tag (which ignores it, even when the client put one in the input) keeps
 * untagged numbers when a newer worker replays it: numbers that changed mid-life would pay twice.
 */
export const REQUEST_TAG_PATCH = 'request-tag';

/** The tag in this lifecycle's request numbers: decided once, at its start, and then carried. */
function requestTagOf(input: RedPacketInput, carried: CarriedState | undefined): string | undefined {
  if (carried) return carried.requestTag;
  if (input.requestTag === undefined || !patched(REQUEST_TAG_PATCH)) return undefined;
  if (!REQUEST_TAG.test(input.requestTag))
    throw ApplicationFailure.nonRetryable(
      `requestTag must be six capital letters or digits (client/red-packet-client.ts draws it), not ${JSON.stringify(input.requestTag.slice(0, 20))}`,
    );
  return input.requestTag;
}
/** Signals recorded as ignored, the latest kept. */
const IGNORED_SIGNALS_KEPT = 20;

/**
 * At most this many payouts in flight per packet: a burst of claims must not flood the workflow
 * with more activity completions than Temporal buffers while a workflow task runs (100 by
 * default; beyond that the server force-fails the task and the work is redone).
 */
const PAYOUT_WINDOW = 40;
/**
 * While claims keep arriving, payouts go two at a time so that answering claims has the cores;
 * once no claim has come for CLAIMS_QUIET_MS they go at the full window (re-checked as each
 * payout settles and as claims arrive, so no timer is needed). Only payouts started within
 * FRESH_PAYOUT_MS count toward the two: one stuck in Alipay's retries must not hold the rest up.
 */
const PAYOUT_WINDOW_WHILE_CLAIMING = 2;
const CLAIMS_QUIET_MS = 1000;
const FRESH_PAYOUT_MS = 5000;
/**
 * What continue-as-new may carry of the ledger, in bytes: the settled index (28 bytes a claim)
 * and the unpaid claims in full. A batch that would pass it is turned away with PACKET_BUSY,
 * which the client retries, until payouts catch up: with 64-character claim ids and 100-character
 * payees that is a backlog of about 1,300 unpaid claims, with short ids several thousand. The
 * rest of the input (terms, notifications) stays under 40 KiB: the whole under 512 KiB.
 */
export const CARRIED_LEDGER_BUDGET = 460 * 1024;
/** Settled claims per claim page (and the most one run holds before writing a page). */
export const CLAIM_PAGE_SIZE = 1000;

/** What continue-as-new carries into the next run: bounded at any claim count. */
export interface CarriedState {
  ledger: LedgerSnapshot;
  notifications: NotificationsSnapshot;
  closeRequested: boolean;
  /** Expired or closed already: the next run goes straight to CLOSING. */
  closing: boolean;
  claimPages: number;
  /** Absent in runs continued before signals were recorded as ignored. */
  ignoredSignals?: IgnoredSignal[];
  /** The request tag this lifecycle's numbers carry; absent when they carry none (requestTagOf). */
  requestTag?: string;
}

function isCarriedV1(carried: CarriedState | CarriedStateV1): carried is CarriedStateV1 {
  return 'claims' in carried.ledger;
}

export async function RedPacketLifecycle(
  input: RedPacketInput,
  carried?: CarriedState | CarriedStateV1,
): Promise<RedPacketState | RedPacketStateV1> {
  // Packets started before the bounded ledger (and their continued runs) finish as they began.
  if (carried ? isCarriedV1(carried) : !patched(BOUNDED_LEDGER_PATCH)) {
    return lifecycleV1(input, carried as CarriedStateV1 | undefined);
  }
  return boundedLifecycle(input, carried as CarriedState | undefined);
}

async function boundedLifecycle(input: RedPacketInput, carried?: CarriedState): Promise<RedPacketState> {
  const requestTag = requestTagOf(input, carried);
  const ledger = carried
    ? Ledger.restore(carried.ledger)
    : Ledger.empty(input.totalFen, input.split, input.shares);
  const notifications = new Notifications(input.authNo, carried?.notifications, requestTag);
  const expiresAtMs = Date.parse(input.expiresAt);
  let status: RedPacketStatus = !carried ? 'VERIFYING_FUNDING' : carried.closing ? 'CLOSING' : 'OPEN';
  let rejection: FundingRejection | undefined;
  let refund: RefundView | null = null;
  let closeRequested = carried?.closeRequested ?? false;
  let retryRequested = false;
  const ignoredSignals: IgnoredSignal[] = [...(carried?.ignoredSignals ?? [])];
  /** Claim pages numbered so far, and those whose workflow has started (readable). */
  let claimPagesNumbered = carried?.claimPages ?? 0;
  let claimPages = claimPagesNumbered;
  const pagesStarted = new Set<number>();
  let pagesBeingWritten = 0;
  let draining = false;
  let progress = 0;
  let lastClaimAt = Number.NEGATIVE_INFINITY;

  const parts = (): StateParts => ({
    input,
    status,
    ledger,
    refund,
    notifications,
    claimPages,
    rejection,
    ignoredSignals,
    requestTag,
  });
  const show = (): void => describeForUi(parts());
  const setStatus = (next: RedPacketStatus, lasting: boolean): void => {
    status = next;
    if (lasting) upsertSearchAttributes([{ key: RED_PACKET_STATUS, value: next }]);
    show();
  };

  /** Moves up to a page of settled claims into a RedPacketClaimPage workflow. */
  const writeClaimPage = async (): Promise<void> => {
    const claims = ledger.takeSettled(CLAIM_PAGE_SIZE);
    const number = ++claimPagesNumbered;
    pagesBeingWritten += 1;
    try {
      await startChild(RedPacketClaimPage, {
        workflowId: claimPageWorkflowId(input.authNo, number),
        args: [{ authNo: input.authNo, number, claims }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `Claim page ${number} of red packet ${input.authNo}: ${claims.length} settled claims`,
      });
    } catch (error) {
      // Written already by this very run before a reset: the page is there.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    } finally {
      pagesBeingWritten -= 1;
    }
    // Pages become readable in order: the state never names a page that has not started.
    pagesStarted.add(number);
    while (pagesStarted.has(claimPages + 1)) pagesStarted.delete(++claimPages);
  };

  /** When each payout in flight started (workflow time), by claim seq. */
  const payoutsInFlight = new Map<number, number>();
  const mayStartPayout = (): boolean => {
    if (payoutsInFlight.size >= PAYOUT_WINDOW) return false;
    const now = Date.now();
    if (now - lastClaimAt >= CLAIMS_QUIET_MS) return true;
    let fresh = 0;
    for (const startedAt of payoutsInFlight.values()) if (now - startedAt < FRESH_PAYOUT_MS) fresh += 1;
    return fresh < PAYOUT_WINDOW_WHILE_CLAIMING;
  };

  const settled = (claim: ClaimRecord, result: Awaited<ReturnType<typeof settleDisbursement>>): void => {
    if (result.paid) ledger.markPaid(claim, result.operationId);
    else ledger.markFailed(claim, result.failure);
    payoutsInFlight.delete(claim.seq);
    progress += 1;
    if (ledger.recentlySettled >= CLAIM_PAGE_SIZE) void writeClaimPage();
    show();
    payWaitingClaims();
  };

  /** Pays accepted claims in order of acceptance, as the window allows (not while draining). */
  const payWaitingClaims = (): void => {
    while (!draining && ledger.waitingToPay > 0 && mayStartPayout()) {
      const claim = ledger.nextToPay()!;
      payoutsInFlight.set(claim.seq, Date.now());
      void settleDisbursement({
        authNo: input.authNo,
        ...disburseRequestNumbers(input.authNo, claim.seq, requestTag),
        amountFen: claim.amountFen,
        title: input.title ?? 'Red packet',
        payeeUserId: claim.payeeUserId,
        payeeLogonId: claim.payeeLogonId,
      }).then((result) => settled(claim, result));
    }
  };

  /** Why no new claim can be accepted now, whoever asks, or undefined while open. */
  const packetRefusal = (): PacketRefusalReason | undefined => {
    if (Date.now() >= expiresAtMs) return 'PACKET_EXPIRED';
    if (status !== 'OPEN' || closeRequested) return 'PACKET_NOT_OPEN';
    if (ledger.exhausted) return 'SHARES_EXHAUSTED';
    return undefined;
  };

  const answer = (request: ClaimRequest): ClaimOutcome => {
    const repeat = ledger.repeatOutcome(request);
    if (repeat) return repeat;
    const reason = packetRefusal() ?? ledger.refusalFor(request);
    if (reason) return { accepted: false, claimId: request.claimId, reason };
    const claim = ledger.accept(request, Math.random);
    progress += 1;
    return {
      accepted: true,
      claimId: claim.claimId,
      status: 'PENDING',
      amountFen: claim.amountFen,
      remainingFen: ledger.remainingFen,
    };
  };

  const claimBatch = (requests: ClaimRequest[]): ClaimOutcome[] => {
    lastClaimAt = Date.now();
    progress += 1;
    const outcomes = requests.map(answer);
    payWaitingClaims();
    show();
    return outcomes;
  };

  /** Turns a batch away before it reaches history: the packet refuses every new claim, or is busy. */
  const validateBatch = (requests: ClaimRequest[]): void => {
    const refusal = packetRefusal();
    if (refusal) throw new Error(refusal);
    const adding = requests.reduce((sum, request) => sum + carriedBytesAtMost(request), 0);
    if (ledger.carriedBytes + adding > CARRIED_LEDGER_BUDGET) throw new Error(PACKET_BUSY);
  };

  const registerClaimHandlers = (): void => {
    setHandler(claimBatchUpdate, claimBatch, {
      description: HANDLER_DESCRIPTIONS.claimBatch,
      validator: (requests) => {
        if (requests.length === 0 || requests.length > MAX_CLAIM_BATCH) throw new Error('BATCH_SIZE');
        validateBatch(requests);
        // Only repeats and refusals: answered by query, so history grows only with accepted claims.
        if (!requests.some((request: ClaimRequest) => ledger.wouldAccept(request)))
          throw new Error(NOTHING_TO_ACCEPT);
      },
    });
    setHandler(claimUpdate, (request) => claimBatch([request])[0]!, {
      description: HANDLER_DESCRIPTIONS.claim,
      validator: (request) => {
        validateBatch([request]);
        if (ledger.repeatOutcome(request)) return;
        const reason = ledger.refusalFor(request);
        if (reason) throw new Error(reason);
      },
    });
  };
  // A continued run is open (or closing) from its first line; a new packet registers them once
  // it has opened (below).
  if (carried) registerClaimHandlers();
  setHandler(
    claimAnswersQuery,
    (requests) =>
      requests.slice(0, MAX_CLAIM_BATCH).map((request): ClaimOutcome | null => {
        const repeat = ledger.repeatOutcome(request);
        if (repeat) return repeat;
        const reason = packetRefusal() ?? ledger.refusalFor(request);
        return reason ? { accepted: false, claimId: request.claimId, reason } : null;
      }),
    { description: HANDLER_DESCRIPTIONS.claimAnswers },
  );
  setHandler(
    alipayNotifySignal,
    (notification) => {
      // A refund confirmation must also name this packet's pay, say SUCCESS and REFUND.
      notifications.receive(notification, refund, input.outOrderNo);
      // Alipay refunded the balance itself: the packet is closed at Alipay, so close here too.
      if (notifications.timeoutRefund) closeRequested = true;
      show();
    },
    { description: HANDLER_DESCRIPTIONS.alipayNotify },
  );
  setHandler(closeNowSignal, () => void (closeRequested = true), {
    description: HANDLER_DESCRIPTIONS.closeNow,
  });
  setHandler(
    retryRefundSignal,
    () => {
      // Only a blocked refund is retried; at any other time the signal is recorded and does nothing.
      if (status === 'REFUND_BLOCKED') {
        retryRequested = true;
        return;
      }
      ignoredSignals.push({
        signal: 'retryRefund',
        at: new Date().toISOString(),
        reason: `the packet is ${status}, not REFUND_BLOCKED`,
      });
      ignoredSignals.splice(0, ignoredSignals.length - IGNORED_SIGNALS_KEPT);
      show();
    },
    { description: HANDLER_DESCRIPTIONS.retryRefund },
  );
  setHandler(stateQuery, (page) => toState(parts(), page), { description: HANDLER_DESCRIPTIONS.state });
  let fundingWaiters = 0;
  setHandler(
    fundingSettledUpdate,
    async () => {
      fundingWaiters += 1;
      await condition(() => status !== 'VERIFYING_FUNDING');
      fundingWaiters -= 1;
      return status;
    },
    {
      description: HANDLER_DESCRIPTIONS.fundingSettled,
      // Settled already: the caller reads the state query instead, and history does not grow.
      validator: () => {
        if (status !== 'VERIFYING_FUNDING') throw new Error('FUNDING_SETTLED');
      },
    },
  );

  const shouldContinueAsNew = (): boolean => {
    const info = workflowInfo();
    const limit = input.continueAsNewAfterEvents;
    // Only after some progress: a run must never hand over without paying or taking anything.
    return (
      progress > 0 && (info.continueAsNewSuggested || (limit !== undefined && info.historyLength >= limit))
    );
  };

  /**
   * A fresh history for a long-lived packet: settled claims go to claim pages first, unsettled
   * ones (in-flight payouts included: their request numbers are fixed) are carried and paid by
   * the next run. Claims keep being accepted until the hand-over.
   */
  const handOver = async (closing: boolean): Promise<never> => {
    // Every page numbered is started before the hand-over, so the count carried is exact.
    draining = true;
    for (;;) {
      if (ledger.recentlySettled > 0) void writeClaimPage();
      await condition(() => pagesBeingWritten === 0 && allHandlersFinished());
      if (ledger.recentlySettled === 0) break;
    }
    return continueAsNew<typeof RedPacketLifecycle>(input, {
      ledger: ledger.snapshot(),
      notifications: notifications.snapshot(),
      closeRequested,
      closing,
      claimPages: claimPagesNumbered,
      ignoredSignals,
      requestTag,
    });
  };

  /** The packet is done: its claim pages complete, and the namespace's retention starts for them. */
  const sealClaimPages = async (): Promise<void> => {
    await condition(() => pagesBeingWritten === 0);
    const numbers = Array.from({ length: claimPagesNumbered }, (_, index) => index + 1);
    await Promise.all(
      numbers.map(
        (number) =>
          getExternalWorkflowHandle(claimPageWorkflowId(input.authNo, number))
            .signal(sealClaimPageSignal)
            .catch(() => undefined), // a page already gone (deleted by hand) has nothing to seal
      ),
    );
  };

  show();
  if (status === 'VERIFYING_FUNDING') {
    rejection = await checkFunding(input);
    if (rejection) {
      setStatus('REJECTED', true);
      await condition(allHandlersFinished);
      return toState(parts());
    }
    setStatus('OPEN', true);
  }

  // Claims carried from the previous run are paid now.
  payWaitingClaims();
  show();

  if (status === 'OPEN') {
    const shouldClose = (): boolean => closeRequested || (ledger.exhausted && ledger.unsettled === 0);
    // One durable expiry timer raced with the close condition (no polling timers).
    const expiryScope = new CancellationScope();
    let expired = false;
    const expiry = expiryScope
      .run(() => sleep(Math.max(0, expiresAtMs - Date.now())))
      .then(
        () => void (expired = true),
        (error: unknown) => {
          if (!isCancellation(error)) throw error;
        },
      );
    // A new packet takes claims only after everything its opening writes to history: the status,
    // the expiry timer and the creator's fundingSettled answer. The chaos run recorded
    // live histories (workers fresh after a restart) in which one workflow task carried the
    // funding result and a claim accepted after the opening's commands; a replay applies both in
    // one activation, the claim first, so the history no longer replays (issue 15, `Update
    // machine does not handle this event`). Which live path orders them so is not known. A claim that reaches the
    // packet before its handler is registered waits in the SDK's buffer until it is, so after
    // those commands in both cases, or is turned away ('No registered handler') if the packet
    // does not open in that activation.
    if (!carried) void condition(() => fundingWaiters === 0).then(registerClaimHandlers);
    await Promise.race([expiry, condition(() => shouldClose() || shouldContinueAsNew())]);
    if (!expired && !shouldClose()) return handOver(false);
    expiryScope.cancel();
    // CLOSING: the refund amount is exact only once every disbursement has settled.
    setStatus('CLOSING', ledger.unsettled > 0);
  }

  await condition(() => ledger.unsettled === 0 || shouldContinueAsNew());
  if (ledger.unsettled > 0) return handOver(true);

  if (ledger.remainingFen > 0) {
    refund = await refundRemainder({
      input,
      requestTag,
      amountFen: ledger.remainingFen,
      notifications,
      setStatus,
      setRefund: (view) => {
        refund = view;
        show();
      },
      waitForOperator: async (blocked) => {
        await condition(() => retryRequested || notifications.confirms(blocked) !== undefined);
        retryRequested = false;
      },
    });
  }
  setStatus('COMPLETED', true);
  await sealClaimPages();
  await condition(() => pagesBeingWritten === 0 && allHandlersFinished());
  return toState(parts());
}
