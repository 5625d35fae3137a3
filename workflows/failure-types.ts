// The ApplicationFailure types activities report and the workflow tells apart: names only.
export const FAILURE_TYPES = {
  /** Alipay refused for good (code and sub_code in the details). */
  refused: 'AlipayRefused',
  /** Alipay has not settled the operation yet (status INIT or unknown): try again later. */
  pending: 'AlipayPending',
  /**
   * Alipay says the packet is closed and has no operation under our request number: Alipay
   * closed it itself, which with money left means its own timeout refund of the balance.
   */
  closedByAlipay: 'AlipayClosedPacket',
  /**
   * Alipay has an operation under our request number that is not ours (another type, amount or
   * payee): never adopted. A payout then keeps its reservation until an operator looks: our
   * books and Alipay's have parted, and releasing money could spend it twice.
   */
  unreconciled: 'Unreconciled',
} as const;
