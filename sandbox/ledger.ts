// The sandbox's books: one entry per red packet, every operation on it, and the rules Alipay
// enforces. Pure: no I/O, no timers; the gateway and the expiry scheduler drive it.
import { randomInt } from 'node:crypto';
import type { Fen } from '../alipay/money';

export type OperationType = 'PAY' | 'DISBURSE' | 'REFUND';
export type OperationStatus = 'INIT' | 'SUCCESS' | 'CLOSED';
export type PacketStatus = 'UNPAID' | 'OPEN' | 'CLOSED';

export interface Operation {
  operationId: string;
  operationType: OperationType;
  authNo: string;
  outOrderNo: string;
  outRequestNo: string;
  amount: Fen;
  status: OperationStatus;
  orderTitle?: string;
  remark?: string;
  payeeUserId?: string;
  payeeLogonId?: string;
  payerUserId?: string;
  gmtCreate: Date;
  gmtTrans?: Date;
}

export interface Packet {
  authNo: string;
  outOrderNo: string;
  status: PacketStatus;
  funded: Fen;
  disbursed: Fen;
  refunded: Fen;
  balance: Fen;
  /** Held by operations still INIT: neither in the balance nor paid out yet. */
  pending: Fen;
  expiresAt?: Date;
  /** The pay call's notify_url: the automatic refund at expiry is reported there. */
  payNotifyUrl?: string;
  operations: Operation[];
}

/** A business refusal, answered as Alipay's 40004 with this sub_code. */
export class LedgerRefusal extends Error {
  constructor(
    readonly subCode: string,
    readonly subMsg: string,
  ) {
    super(`${subCode}: ${subMsg}`);
  }
}

export interface PayInput {
  outOrderNo: string;
  outRequestNo: string;
  orderTitle: string;
  amount: Fen;
  payerUserId?: string;
  notifyUrl?: string;
  /** How long until Alipay refunds the balance itself. */
  lifetimeMs: number;
}

export interface DisburseInput {
  authNo?: string;
  payOutOrderNo?: string;
  outOrderNo: string;
  outRequestNo: string;
  orderTitle: string;
  amount: Fen;
  payeeUserId?: string;
  payeeLogonId?: string;
}

export interface RefundInput {
  authNo: string;
  outRequestNo: string;
  amount: Fen;
  remark: string;
}

function requestKey(outOrderNo: string, outRequestNo: string): string {
  return `${outOrderNo}\u0000${outRequestNo}`;
}

export class Ledger {
  private readonly packets = new Map<string, Packet>();
  private readonly byPayOrder = new Map<string, string>();
  private readonly requestKeys = new Set<string>();
  private readonly operationsById = new Map<string, Operation>();
  private readonly operationsByRequest = new Map<string, Operation>();
  private sequence = 0;
  private readonly instance = String(randomInt(1_000_000)).padStart(6, '0');

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Numbers shaped like Alipay's (date + digits), unique across sandbox instances and restarts. */
  private nextId(kind: string): string {
    this.sequence += 1;
    const stamp = this.now().toISOString().slice(0, 10).replaceAll('-', '');
    return `${stamp}${kind}${this.instance}${String(this.sequence).padStart(6, '0')}`;
  }

  /** Reserves a request number; `check` runs after the uniqueness check and before the reservation. */
  private claimRequestKey(outOrderNo: string, outRequestNo: string, check?: () => void): void {
    const key = requestKey(outOrderNo, outRequestNo);
    if (this.requestKeys.has(key)) {
      throw new LedgerRefusal('UNIQUE_VIOLATION', `out_request_no ${outRequestNo} was already used`);
    }
    check?.();
    this.requestKeys.add(key);
  }

  private record(
    packet: Packet,
    operation: Omit<Operation, 'operationId' | 'gmtCreate' | 'authNo'>,
  ): Operation {
    const at = this.now();
    const full: Operation = {
      ...operation,
      authNo: packet.authNo,
      operationId: this.nextId('1'),
      gmtCreate: at,
      gmtTrans: operation.status === 'SUCCESS' ? at : undefined,
    };
    packet.operations.push(full);
    this.operationsById.set(full.operationId, full);
    this.operationsByRequest.set(requestKey(full.outOrderNo, full.outRequestNo), full);
    this.assertConserved(packet);
    return full;
  }

  private assertConserved(packet: Packet): void {
    const accounted = packet.disbursed + packet.refunded + packet.balance + packet.pending;
    if (packet.funded !== accounted || packet.balance < 0 || packet.pending < 0) {
      throw new Error(`sandbox ledger broke conservation for ${packet.authNo}`);
    }
  }

  /** Creates a packet; funded at once for agreement pay, UNPAID for app/page pay. */
  pay(input: PayInput, fundedNow: boolean): { packet: Packet; operation: Operation } {
    if (this.byPayOrder.has(input.outOrderNo)) {
      throw new LedgerRefusal('UNIQUE_VIOLATION', `out_order_no ${input.outOrderNo} was already paid`);
    }
    this.claimRequestKey(input.outOrderNo, input.outRequestNo);
    const packet: Packet = {
      authNo: this.nextId('10002001'),
      outOrderNo: input.outOrderNo,
      status: 'UNPAID',
      funded: 0,
      disbursed: 0,
      refunded: 0,
      balance: 0,
      pending: 0,
      payNotifyUrl: input.notifyUrl,
      operations: [],
    };
    this.packets.set(packet.authNo, packet);
    this.byPayOrder.set(input.outOrderNo, packet.authNo);
    const operation = this.record(packet, {
      operationType: 'PAY',
      outOrderNo: input.outOrderNo,
      outRequestNo: input.outRequestNo,
      amount: input.amount,
      status: 'INIT',
      orderTitle: input.orderTitle,
      payerUserId: input.payerUserId,
    });
    if (fundedNow) this.completePayment(packet.authNo, input.lifetimeMs, input.payerUserId);
    return { packet, operation };
  }

  /** The payer confirms an app/page pay: the packet is funded and its expiry starts. */
  completePayment(authNo: string, lifetimeMs: number, payerUserId?: string): Operation {
    const packet = this.packet(authNo);
    const operation = packet.operations.find((candidate) => candidate.operationType === 'PAY');
    if (!operation || packet.status !== 'UNPAID') {
      throw new LedgerRefusal('ORDER_ALREADY_PAID', `red packet ${authNo} is not awaiting payment`);
    }
    operation.status = 'SUCCESS';
    operation.gmtTrans = this.now();
    if (payerUserId) operation.payerUserId = payerUserId;
    packet.status = 'OPEN';
    packet.funded = operation.amount;
    packet.balance = operation.amount;
    packet.expiresAt = new Date(this.now().getTime() + lifetimeMs);
    this.assertConserved(packet);
    return operation;
  }

  /**
   * `pending`: Alipay accepts the request but has not finished it (status INIT): the amount leaves
   * the balance now and moves when `finishPending` says how the operation ended.
   */
  disburse(input: DisburseInput, { pending = false } = {}): Operation {
    const authNo = input.authNo ?? this.byPayOrder.get(input.payOutOrderNo ?? '');
    const packet = this.openPacket(authNo);
    // A reused request number is answered as such before anything else, as Alipay does.
    this.claimRequestKey(input.outOrderNo, input.outRequestNo, () => this.checkBalance(packet, input.amount));
    packet.balance -= input.amount;
    if (pending) packet.pending += input.amount;
    else packet.disbursed += input.amount;
    return this.record(packet, {
      operationType: 'DISBURSE',
      outOrderNo: input.outOrderNo,
      outRequestNo: input.outRequestNo,
      amount: input.amount,
      status: pending ? 'INIT' : 'SUCCESS',
      orderTitle: input.orderTitle,
      payeeUserId: input.payeeUserId,
      payeeLogonId: input.payeeLogonId,
    });
  }

  /** `pending` as for `disburse`. */
  refund(input: RefundInput, { pending = false } = {}): Operation {
    const packet = this.openPacket(input.authNo);
    this.claimRequestKey(packet.outOrderNo, input.outRequestNo, () =>
      this.checkBalance(packet, input.amount),
    );
    if (!pending) return this.applyRefund(packet, input.outRequestNo, input.amount, input.remark);
    packet.balance -= input.amount;
    packet.pending += input.amount;
    return this.record(packet, {
      operationType: 'REFUND',
      outOrderNo: packet.outOrderNo,
      outRequestNo: input.outRequestNo,
      amount: input.amount,
      status: 'INIT',
      remark: input.remark,
    });
  }

  /**
   * An INIT operation ends: SUCCESS moves its amount, CLOSED gives it back to the balance, or, when
   * the packet closed meanwhile (Alipay's timeout refund took the rest), back to the payer as an
   * automatic refund of its own, recorded like the first.
   */
  finishPending(
    operationId: string,
    outcome: 'SUCCESS' | 'CLOSED',
  ): { operation: Operation; automaticRefund?: Operation } {
    const operation = this.operationsById.get(operationId);
    if (!operation || operation.status !== 'INIT' || operation.operationType === 'PAY') {
      throw new Error(`no pending payout or refund ${operationId}`);
    }
    const packet = this.packet(operation.authNo);
    packet.pending -= operation.amount;
    operation.status = outcome;
    let automaticRefund: Operation | undefined;
    if (outcome === 'SUCCESS') {
      operation.gmtTrans = this.now();
      if (operation.operationType === 'DISBURSE') packet.disbursed += operation.amount;
      else packet.refunded += operation.amount;
    } else {
      packet.balance += operation.amount;
      if (packet.status === 'CLOSED') {
        const outRequestNo = `AUTO_REFUND_${packet.authNo}_${operation.operationId}`;
        this.claimRequestKey(packet.outOrderNo, outRequestNo);
        automaticRefund = this.applyRefund(packet, outRequestNo, operation.amount, 'timeout refund');
      }
    }
    if (packet.status === 'OPEN' && packet.balance === 0 && packet.pending === 0 && packet.refunded > 0)
      packet.status = 'CLOSED';
    this.assertConserved(packet);
    return { operation, automaticRefund };
  }

  /** Alipay's own refund of the balance at expiry; undefined when nothing is left. */
  expire(authNo: string): Operation | undefined {
    const packet = this.packet(authNo);
    if (packet.status !== 'OPEN') return undefined;
    if (packet.balance === 0) {
      packet.status = 'CLOSED';
      return undefined;
    }
    const outRequestNo = `AUTO_REFUND_${authNo}`;
    this.claimRequestKey(packet.outOrderNo, outRequestNo);
    const operation = this.applyRefund(packet, outRequestNo, packet.balance, 'timeout refund');
    packet.status = 'CLOSED';
    return operation;
  }

  private applyRefund(packet: Packet, outRequestNo: string, amount: Fen, remark: string): Operation {
    packet.balance -= amount;
    packet.refunded += amount;
    // Closed once nothing is left, and nothing is still on its way (INIT operations).
    if (packet.balance === 0 && packet.pending === 0) packet.status = 'CLOSED';
    return this.record(packet, {
      operationType: 'REFUND',
      outOrderNo: packet.outOrderNo,
      outRequestNo,
      amount,
      status: 'SUCCESS',
      remark,
    });
  }

  private checkBalance(packet: Packet, amount: Fen): void {
    if (amount > packet.balance) {
      throw new LedgerRefusal('MONEY_NOT_ENOUGH', `balance ${packet.balance} fen is less than ${amount} fen`);
    }
  }

  private openPacket(authNo: string | undefined): Packet {
    const packet = authNo === undefined ? undefined : this.packets.get(authNo);
    if (!packet) throw new LedgerRefusal('ORDER_NOT_EXIST', `no red packet ${authNo ?? ''}`);
    if (packet.status === 'CLOSED')
      throw new LedgerRefusal('ORDER_ALREADY_CLOSED', `red packet ${packet.authNo} is closed`);
    if (packet.status === 'UNPAID')
      throw new LedgerRefusal('ORDER_NOT_PAID', `red packet ${packet.authNo} is not paid`);
    return packet;
  }

  packet(authNo: string): Packet {
    const packet = this.packets.get(authNo);
    if (!packet) throw new LedgerRefusal('ORDER_NOT_EXIST', `no red packet ${authNo}`);
    return packet;
  }

  findPacket(authNo: string): Packet | undefined {
    return this.packets.get(authNo);
  }

  findOperation(query: {
    authNo?: string;
    operationId?: string;
    outOrderNo?: string;
    outRequestNo?: string;
  }): Operation {
    const operation =
      query.operationId !== undefined
        ? this.operationsById.get(query.operationId)
        : this.operationsByRequest.get(requestKey(query.outOrderNo ?? '', query.outRequestNo ?? ''));
    if (!operation || (query.authNo !== undefined && operation.authNo !== query.authNo)) {
      throw new LedgerRefusal('ORDER_NOT_EXIST', 'no such operation');
    }
    return operation;
  }

  allPackets(): Packet[] {
    return [...this.packets.values()];
  }
}
