// How much a claim receives. Pure and deterministic: `random` is the workflow's seeded random.
import type { SplitMode } from './messages';

export interface SplitInput {
  split: SplitMode;
  totalFen: number;
  remainingFen: number;
  /** Shares not yet taken, this claim included; undefined when shares are unlimited. */
  sharesLeft: number | undefined;
  /** The amount the claimant asked for (`claimant` mode only). */
  requestedFen: number | undefined;
  shares: number | undefined;
  random: () => number;
}

/**
 * `fixed`: equal shares of the total, the remainder fen to the last share.
 * `random`: the double-mean method: uniform in [1 fen, 2 x remaining / shares left], keeping
 *   at least 1 fen for every later share; the last share takes the rest.
 * `claimant`: what the claimant asked for.
 */
export function claimAmount(input: SplitInput): number {
  const { split, remainingFen, sharesLeft } = input;
  if (split === 'claimant') {
    if (input.requestedFen === undefined) throw new Error('claimant split needs an amount');
    return input.requestedFen;
  }
  if (sharesLeft === undefined || input.shares === undefined) throw new Error(`${split} split needs shares`);
  if (sharesLeft <= 1) return remainingFen;
  if (split === 'fixed') return Math.floor(input.totalFen / input.shares);
  const doubleMean = Math.floor((2 * remainingFen) / sharesLeft);
  const keepOneFenEach = remainingFen - (sharesLeft - 1);
  const highest = Math.max(1, Math.min(doubleMean, keepOneFenEach));
  return 1 + Math.floor(input.random() * highest);
}
