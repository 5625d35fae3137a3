// Every workflow the worker registers. Message definitions live in ./messages.
export { RedPacketClaimPage } from './claim-page';
export { RedPacketLifecycle } from './red-packet-lifecycle';
export { RedPacketOrder } from './red-packet-order';
export { ReconcileRedPackets } from './reconcile-red-packets';
