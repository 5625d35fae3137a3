// What each signal, query and update does, for the Temporal UI and `temporal workflow metadata`
// (the SDK's handler `description`). Operators read these: say who sends it and when.
export const HANDLER_DESCRIPTIONS = {
  // RedPacketLifecycle
  claimBatch:
    'Claims (1 to 100), answered in order: accepted with an amount in fen, or refused with a reason. Sent by the HTTP API and the typed client, not by operators.',
  claim: 'One claim: the single-claim form of claimBatch, kept for older clients.',
  claimAnswers:
    'What these claims would be answered now, changing nothing: a repeat gets its first answer, a new claim its refusal, or null when it would be accepted.',
  alipayNotify:
    "A notification from Alipay, verified by the webhook (Alipay's signature). A refund confirmation completes the refund. Only the webhook sends it.",
  closeNow:
    'Close the packet now: no new claims; once payouts settle, the remainder is refunded. The same as POST /red-packets/:authNo/refund.',
  retryRefund:
    'For operators: send the refund again once the cause of REFUND_BLOCKED is fixed (the details say why it is blocked). At any other status it is recorded as ignored and does nothing.',
  state:
    'The ledger, amounts in fen (the HTTP API shows yuan): totals, the refund, and up to 1,000 claims; argument {"afterSeq": n, "limit": m} for others.',
  fundingSettled:
    'Waits until Alipay has shown (or not) the pay the packet rests on, then answers the status. Used by the creator; refused once funding is settled.',
  // RedPacketOrder
  orderState: "The pay order: status, Alipay's pay details for the payer, and the red packet once paid.",
  payStarted:
    'Waits until the pay call has been made (the payer can pay), then answers the order. Used by the creator.',
  payNotify: 'A pay notification from Alipay, verified by the webhook. Only the webhook sends it.',
  // RedPacketClaimPage
  page: 'The settled claims archived in this page, amounts in fen.',
  seal: 'Sent by the packet when it completes: the page completes too, returning its claims.',
} as const;
