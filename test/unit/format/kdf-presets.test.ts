// The lane count in KdfParams, and format v2's presets: each costs an attacker at least twice
// v1's preset of the same name (memory x passes) at the same memory; v1 never writes lanes.
import { PassphraseSlot, slotPayload } from '../../../src/format/header';
import { describeKdf, KDF_PRESETS_V1, KDF_PRESETS, kdfProblem, lanesOf, MAX_LANES, presetName } from '../../../src/format/limits';

describe.each(Object.keys(KDF_PRESETS) as (keyof typeof KDF_PRESETS)[])('v2 preset %s', (name) => {
  const v1 = KDF_PRESETS_V1[name];
  const v2 = KDF_PRESETS[name];
  it('is within the bounds a header is checked against', () => {
    expect(kdfProblem(v2)).toBeNull();
  });
  it('keeps the memory and at least doubles memory x passes', () => {
    expect(v2.memKiB).toBe(v1.memKiB);
    expect(v2.memKiB * v2.opsLimit).toBeGreaterThanOrEqual(2 * v1.memKiB * v1.opsLimit);
  });
  it('uses more than one lane (the point of the native Argon2id)', () => {
    expect(lanesOf(v2)).toBeGreaterThan(1);
    expect(describeKdf(v2)).toMatch(/, \d+ lanes$/);
    // Not mistaken for the v1 preset of the same parameters.
    expect(presetName({ ...v1, lanes: 4 })).toBeNull();
  });
});

it('lane counts outside 1..MAX_LANES are refused like other out-of-bound parameters', () => {
  const base = KDF_PRESETS_V1.moderate;
  expect(kdfProblem({ ...base })).toBeNull();
  expect(kdfProblem({ ...base, lanes: 1 })).toBeNull();
  expect(kdfProblem({ ...base, lanes: MAX_LANES })).toBeNull();
  for (const lanes of [0, -1, MAX_LANES + 1, 1.5, Number.NaN]) expect(kdfProblem({ ...base, lanes })).toMatch(/lane count/);
});

it('format v1 refuses to write a slot with more than one lane (it could not be opened again)', () => {
  const slot: PassphraseSlot = { type: 'passphrase', scopes: [0], kdf: { ...KDF_PRESETS.moderate }, salt: new Uint8Array(16), nonce: new Uint8Array(24), wrapped: new Uint8Array(48) };
  expect(() => slotPayload(slot, 1)).toThrow(/one-lane/);
  const oneLane: PassphraseSlot = { ...slot, kdf: { ...KDF_PRESETS_V1.moderate } };
  expect(slotPayload(oneLane, 1).length).toBe(25);
  // Format 2 stores the lane count.
  expect(slotPayload(slot, 2).length).toBe(29);
});
