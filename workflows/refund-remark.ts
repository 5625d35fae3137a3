// The remark our refund of the remainder carries: the packet's title and a fixed suffix. Titles
// are checked against it at the edge (client/input-rules.ts) so Alipay never refuses the remark.

export const REFUND_REMARK_SUFFIX = ': unclaimed remainder';

export function refundRemark(title: string | undefined): string {
  return `${title ?? 'Red packet'}${REFUND_REMARK_SUFFIX}`;
}
