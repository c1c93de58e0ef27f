// Every slot type the format knows, in one place. Adding a type (X25519 identity, hardware
// token) is one file in this folder and one line here.
import { keychainKind } from './keychain';
import { passphraseKind } from './passphrase';
import { Slot, SlotKind } from './types';
import { x25519Kind } from './x25519';

const KINDS: SlotKind<any>[] = [
  passphraseKind,
  keychainKind,
  x25519Kind,
];

export function kindByCode(code: number): SlotKind | undefined {
  return KINDS.find((k) => k.code === code);
}

export function kindOf(slot: Slot): SlotKind {
  const k = KINDS.find((x) => x.name === slot.type);
  if (!k) throw new Error(`unregistered slot type ${slot.type}`);
  return k;
}

/** All types, in unlock-ladder order. */
export function slotKinds(): readonly SlotKind[] {
  return [...KINDS].sort((a, b) => a.rung - b.rung);
}

/** Whether a header's slots respect each type's count bounds. */
export function slotCountsOk(slots: Slot[]): boolean {
  return KINDS.every((k) => {
    const n = slots.filter((s) => s.type === k.name).length;
    return n >= k.min && n <= k.max;
  });
}

export function slotPayload(slot: Slot, version: number): Uint8Array {
  return kindOf(slot).encode(slot, version);
}

export function describeSlot(slot: Slot): string {
  return kindOf(slot).describe(slot);
}

export type { KeyMeans, Slot, SlotKind } from './types';
