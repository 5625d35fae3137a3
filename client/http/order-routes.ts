// Pay orders: the service takes the sender's payment (agreement pay server-side, an order string
// for the Alipay app, or the cashier URL), then runs the packet. Routes validate and call the
// typed client, nothing else.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { OrderConflictError, type OrderClient } from '../order-client';
import type { PayMethod, RedPacketOrderState } from '../../workflows/order-messages';
import { badRequest, HttpError } from './errors';
import { fingerprint, toPacketTerms, type CreateBody, type DeploymentSettings } from './red-packet-requests';
import { orderBody, outOrderNoParams } from './schemas';

export interface OrderBody extends Pick<
  CreateBody,
  'amount' | 'shares' | 'split' | 'ttlSeconds' | 'expiresAt' | 'title'
> {
  outOrderNo: string;
  pay: PayMethod;
  payerUserId?: string;
  payTimeoutSeconds?: number;
}

const DEFAULT_PAY_TIMEOUT_SECONDS = 3600;

function orderResponse(order: RedPacketOrderState) {
  return {
    outOrderNo: order.outOrderNo,
    status: order.status,
    pay: order.pay,
    ...(order.authNo ? { authNo: order.authNo } : {}),
    ...(order.orderString ? { orderString: order.orderString } : {}),
    ...(order.cashierUrl ? { cashierUrl: order.cashierUrl } : {}),
    ...(order.failure ? { failure: order.failure } : {}),
  };
}

export function registerOrderRoutes(
  app: FastifyInstance,
  deps: { orders: OrderClient; settings: DeploymentSettings; now?: () => Date },
): void {
  app.post<{ Body: OrderBody }>(
    '/red-packet-orders',
    { schema: { body: orderBody }, config: { access: 'packets:create' } },
    async (request, reply) => {
      const body = request.body;
      if (body.pay === 'agreement' && body.payerUserId === undefined)
        throw badRequest('payerUserId', 'is required for agreement pay');
      const now = deps.now?.() ?? new Date();
      const payTimeoutSeconds = body.payTimeoutSeconds ?? DEFAULT_PAY_TIMEOUT_SECONDS;
      const { expiry, totalFen, ...packet } = toPacketTerms(body, now);
      if ('expiresAt' in expiry && Date.parse(expiry.expiresAt) <= now.getTime() + payTimeoutSeconds * 1000)
        throw badRequest('expiresAt', 'must be later than the pay timeout, or the packet would open expired');
      try {
        const { created, order } = await deps.orders.createOrder(
          {
            outOrderNo: body.outOrderNo,
            totalFen,
            pay: body.pay,
            payerUserId: body.payerUserId,
            payTimeoutSeconds,
            ...expiry,
            packet: { ...packet, ...deps.settings },
          },
          // Defaults applied, so naming the default is the same request as leaving it out.
          fingerprint({ ...body, payTimeoutSeconds }),
        );
        return reply.code(created ? 201 : 200).send(orderResponse(order));
      } catch (error) {
        if (error instanceof OrderConflictError) throw new HttpError(409, error.message, 'outOrderNo');
        throw error;
      }
    },
  );

  app.get<{ Params: { outOrderNo: string } }>(
    '/red-packet-orders/:outOrderNo',
    { schema: { params: outOrderNoParams }, config: { access: 'packets:read' } },
    async (request) => {
      try {
        return orderResponse(await deps.orders.getOrder(request.params.outOrderNo));
      } catch (error) {
        if (error instanceof WorkflowNotFoundError)
          throw new HttpError(404, `no order ${request.params.outOrderNo}`, 'outOrderNo');
        throw error;
      }
    },
  );
}
