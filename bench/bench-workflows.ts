// The bench worker's workflows: the product's and the baselines, in one bundle.
export { RedPacketLifecycle } from '../workflows/red-packet-lifecycle';
export { BaselineLifecycle, SignalSink } from './baseline-workflows';
