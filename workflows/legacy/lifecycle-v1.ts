// RedPacketLifecycle as it ran before the bounded ledger (frozen): packets started before that
// change, and their continued runs, finish under these rules so their histories replay. Delete
// once no such packet runs (a visibility query for RedPacketLifecycle runs started before the
// deploy tells).
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { settleDisbursement } from '../disbursement';
import { Ledger, type ClaimRecord, type LedgerSnapshot } from './ledger-v1';
import {
  alipayNotifySignal,
  claimBatchUpdate,
  claimUpdate,
  closeNowSignal,
  fundingSettledUpdate,
  MAX_CLAIM_BATCH,
  RED_PACKET_STATUS,
  retryRefundSignal,
  type ClaimOutcome,
  type ClaimRefusalReason,
  type ClaimRequest,
  type FundingRejection,
  type RedPacketInput,
  type RedPacketStatus,
  type RefundView,
} from '../messages';
import {
  claimSignalV1 as claimSignal,
  stateQueryV1 as stateQuery,
  type RedPacketStateV1 as RedPacketState,
} from './messages-v1';
import { Notifications, type NotificationsSnapshot } from '../notifications';
import { refundRemainder } from '../refund-remainder';
import { disburseRequestNumbers } from '../request-numbers';
import { describeForUi, toState } from './state-view-v1';
import { checkFunding, VERIFY_FUNDING_PATCH } from '../verify-funding';

/**
 * At most this many payouts in flight per packet: a burst of claims must not flood the workflow
 * with more activity completions than Temporal buffers while a workflow task runs (100 by
 * default; beyond that the server force-fails the task and the work is redone).
 */
const DISBURSEMENT_WINDOW = 40;

/** What continue-as-new carries into the next run. */
export interface CarriedStateV1 {
  ledger: LedgerSnapshot;
  notifications: NotificationsSnapshot;
  closeRequested: boolean;
}

export async function lifecycleV1(input: RedPacketInput, carried?: CarriedStateV1): Promise<RedPacketState> {
  const ledger = carried
    ? new Ledger(carried.ledger)
    : Ledger.empty(input.totalFen, input.split, input.shares);
  const notifications = new Notifications(input.authNo, carried?.notifications);
  // A new packet verifies its funding first; a continued run, or a history from before that
  // check existed, is open already.
  let status: RedPacketStatus = !carried && patched(VERIFY_FUNDING_PATCH) ? 'VERIFYING_FUNDING' : 'OPEN';
  let rejection: FundingRejection | undefined;
  let refund: RefundView | null = null;
  let closeRequested = carried?.closeRequested ?? false;
  let retryRequested = false;
  let drainingForContinueAsNew = false;

  const state = (): RedPacketState => ({
    ...toState(input, status, ledger, refund, notifications),
    ...(rejection ? { rejection } : {}),
  });
  const show = (): void => describeForUi(state());
  const setStatus = (next: RedPacketStatus, lasting: boolean): void => {
    status = next;
    if (lasting) upsertSearchAttributes([{ key: RED_PACKET_STATUS, value: next }]);
    show();
  };

  let disbursing = 0;

  const startDisbursement = (claim: ClaimRecord): void => {
    ledger.markDisbursing(claim);
    disbursing += 1;
    void settleDisbursement({
      authNo: input.authNo,
      ...disburseRequestNumbers(input.authNo, claim.seq),
      amountFen: claim.amountFen,
      title: input.title ?? 'Red packet',
      payeeUserId: claim.payeeUserId,
      payeeLogonId: claim.payeeLogonId,
    }).then((result) => {
      if (result.paid) ledger.markPaid(claim, result.operationId);
      else ledger.markFailed(claim, result.failure);
      disbursing -= 1;
      show();
      startWaitingDisbursements();
    });
  };

  /** Pays accepted claims in order of acceptance, as the window allows (not while draining). */
  const startWaitingDisbursements = (): void => {
    if (drainingForContinueAsNew) return;
    for (const claim of ledger.inPhase('RESERVED')) {
      if (disbursing >= DISBURSEMENT_WINDOW) return;
      startDisbursement(claim);
    }
  };

  const refusal = (request: ClaimRequest): ClaimRefusalReason | undefined => {
    if (ledger.find(request.claimId)) return undefined; // a repeat: answered with the first result
    return status === 'OPEN' && !closeRequested ? ledger.refusalFor(request) : 'PACKET_NOT_OPEN';
  };

  const claim = (request: ClaimRequest): ClaimOutcome => {
    const existing = ledger.find(request.claimId);
    if (existing) return ledger.outcome(existing);
    const reason = refusal(request);
    if (reason) return { accepted: false, claimId: request.claimId, reason };
    const accepted = ledger.accept(request, Math.random);
    startWaitingDisbursements();
    show();
    return ledger.outcome(accepted);
  };

  setHandler(claimUpdate, claim, {
    validator: (request) => {
      const reason = refusal(request);
      if (reason) throw new Error(reason);
    },
  });
  setHandler(claimBatchUpdate, (requests) => requests.map(claim), {
    validator: (requests) => {
      if (requests.length === 0 || requests.length > MAX_CLAIM_BATCH) throw new Error('BATCH_SIZE');
      // Not open (verifying, closing, finished): refuse the whole batch before it reaches
      // history, unless it repeats a claim, which gets its first answer.
      if (requests.every((request: ClaimRequest) => refusal(request) === 'PACKET_NOT_OPEN'))
        throw new Error('PACKET_NOT_OPEN');
    },
  });
  setHandler(claimSignal, (request) => void claim(request));
  setHandler(alipayNotifySignal, (notification) => {
    notifications.receive(notification, refund);
    // Alipay refunded the balance itself: the packet is closed at Alipay, so close here too.
    if (notifications.timeoutRefund) closeRequested = true;
    show();
  });
  setHandler(closeNowSignal, () => void (closeRequested = true));
  setHandler(retryRefundSignal, () => void (retryRequested = true));
  setHandler(stateQuery, state);
  setHandler(
    fundingSettledUpdate,
    async () => {
      await condition(() => status !== 'VERIFYING_FUNDING');
      return status;
    },
    {
      // Settled already: the caller reads the state query instead, and history does not grow.
      validator: () => {
        if (status !== 'VERIFYING_FUNDING') throw new Error('FUNDING_SETTLED');
      },
    },
  );

  show();
  if (status === 'VERIFYING_FUNDING') {
    rejection = await checkFunding(input);
    if (rejection) {
      setStatus('REJECTED', true);
      await condition(allHandlersFinished);
      return state();
    }
    setStatus('OPEN', true);
  }

  // Claims accepted while the previous run drained for continue-as-new are paid now.
  startWaitingDisbursements();
  show();

  const shouldClose = (): boolean => closeRequested || (ledger.exhausted && ledger.unsettled === 0);
  const shouldContinueAsNew = (): boolean => {
    const info = workflowInfo();
    const limit = input.continueAsNewAfterEvents;
    return info.continueAsNewSuggested || (limit !== undefined && info.historyLength >= limit);
  };

  // OPEN: one durable expiry timer raced with the close condition (no polling timers).
  const expiryScope = new CancellationScope();
  let expired = false;
  const expiry = expiryScope
    .run(() => sleep(Math.max(0, Date.parse(input.expiresAt) - Date.now())))
    .then(
      () => void (expired = true),
      (error: unknown) => {
        if (!isCancellation(error)) throw error;
      },
    );
  await Promise.race([expiry, condition(() => shouldClose() || shouldContinueAsNew())]);
  if (!expired && !shouldClose()) {
    // A hot packet: start a fresh history, carrying the ledger. In-flight disbursements settle
    // first; claims accepted meanwhile stay RESERVED and are paid by the next run.
    drainingForContinueAsNew = true;
    await condition(() => disbursing === 0 && allHandlersFinished());
    expiryScope.cancel();
    return continueAsNew<typeof lifecycleV1>(input, {
      ledger: ledger.snapshot(),
      notifications: notifications.snapshot(),
      closeRequested,
    });
  }
  expiryScope.cancel();

  // CLOSING: the refund amount is exact only once every disbursement has settled.
  setStatus('CLOSING', ledger.unsettled > 0);
  await condition(() => ledger.unsettled === 0);

  if (ledger.remainingFen > 0) {
    refund = await refundRemainder({
      input,
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
  await condition(allHandlersFinished);
  return state();
}
