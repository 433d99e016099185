/**
 * Stable allocation of pod CIDRs, pod IPs and cluster IPs.
 *
 * Every item that does not pin its value gets a preferred slot from a hash of its own name; values
 * pinned in the spec are claimed first, then items take their preferred slot in the order they are
 * listed, moving to the next free slot when an earlier item already holds it. So an item's value
 * depends on its name, not on its position or on how many other items there are: adding an item at
 * the end of a list never moves another, and adding or removing any item moves only an item whose
 * slot it collided with. docs/spec.md explains this to users.
 */
import {hash} from 'node:crypto';
import {nthSubnet, overlaps, size, type Cidr} from '../net/ipv4.js';

/** The preferred slot of a name among `slots` slots. */
export function preferredSlot(kind: string, name: string, slots: number): number {
  const digest = hash('sha256', `${kind}/${name}`, 'buffer');
  return Number(digest.readBigUInt64BE(0) % BigInt(slots));
}

/**
 * Hands out slots 0..slots-1. `claim` marks pinned slots; `take` returns the first free slot at or
 * after the preferred one, wrapping around, or undefined when all are taken.
 */
export class SlotAllocator {
  private readonly taken = new Set<number>();

  constructor(readonly slots: number) {}

  claim(slot: number): void {
    this.taken.add(slot);
  }

  get free(): number {
    return this.slots - this.taken.size;
  }

  take(preferred: number): number | undefined {
    if (this.taken.size >= this.slots) return undefined;
    for (let step = 0; step < this.slots; step++) {
      const slot = (preferred + step) % this.slots;
      if (!this.taken.has(slot)) {
        this.taken.add(slot);
        return slot;
      }
    }
    return undefined;
  }
}

/** Allocates node pod CIDRs of `/maskSize` from the cluster CIDR, avoiding every pinned pod CIDR. */
export function allocatePodCIDRs(
  clusterCIDR: Cidr,
  maskSize: number,
  pinned: readonly Cidr[],
  names: readonly string[],
): {cidrs: (Cidr | undefined)[]; slots: number; free: number} {
  const slots = 2 ** (maskSize - clusterCIDR.prefix);
  const allocator = new SlotAllocator(slots);
  const slotSize = 2 ** (32 - maskSize);
  for (const cidr of pinned) {
    if (!overlaps(cidr, clusterCIDR)) continue;
    const firstSlot = Math.floor((Math.max(cidr.first, clusterCIDR.first) - clusterCIDR.first) / slotSize);
    const lastSlot = Math.floor((Math.min(cidr.last, clusterCIDR.last) - clusterCIDR.first) / slotSize);
    for (let slot = firstSlot; slot <= lastSlot; slot++) allocator.claim(slot);
  }
  const free = allocator.free;
  const cidrs = names.map((name) => {
    const slot = allocator.take(preferredSlot('node', name, slots));
    return slot === undefined ? undefined : nthSubnet(clusterCIDR, maskSize, slot);
  });
  return {cidrs, slots, free};
}

/**
 * Allocates host addresses in `range`, skipping the first `reservedLow` and the last `reservedHigh`
 * addresses (network and gateway; broadcast) and every pinned address.
 */
export function allocateAddresses(
  kind: string,
  range: Cidr,
  reservedLow: number,
  reservedHigh: number,
  pinned: readonly number[],
  names: readonly string[],
): {addresses: (number | undefined)[]; usable: number} {
  const usable = Math.max(0, size(range) - reservedLow - reservedHigh);
  const base = range.first + reservedLow;
  const allocator = new SlotAllocator(usable);
  for (const address of pinned) {
    const slot = address - base;
    if (slot >= 0 && slot < usable) allocator.claim(slot);
  }
  const addresses = names.map((name) => {
    if (usable === 0) return undefined;
    const slot = allocator.take(preferredSlot(kind, name, usable));
    return slot === undefined ? undefined : base + slot;
  });
  return {addresses, usable};
}
