import type { AlipayTransport } from '../../alipay/gateway';
import { agreementPay } from '../../alipay/methods';

let paid = 0;

/** The payer's side: an agreement pay that funds a red packet, as the merchant's pay call would. */
export async function payRedPacket(
  gateway: AlipayTransport,
  options: { totalFen: number; notifyUrl: string; prefix: string; extraParam?: string },
): Promise<{ authNo: string; outOrderNo: string; payOperationId: string }> {
  paid += 1;
  const outOrderNo = `${options.prefix}${Date.now()}${paid}`;
  const pay = await agreementPay(
    gateway,
    {
      outOrderNo,
      outRequestNo: `${outOrderNo}P`,
      orderTitle: 'test red packet',
      amount: options.totalFen,
      payerUserId: '2088000000000001',
      extraParam: options.extraParam,
    },
    { notifyUrl: options.notifyUrl },
  );
  return { authNo: pay.authNo, outOrderNo, payOperationId: pay.operationId };
}
