// Builds the committed test vectors (test/vectors/*.txt) from fixed salts, nonces and keys.
// Run `npm run vectors` to rewrite them; test/unit/format/vectors.test.ts checks that this
// generator still reproduces every committed file byte for byte.
import { createHash } from 'node:crypto';
import { ready } from '../../src/crypto/sodium';
import { decodeFile, encodeHeader, PassphraseSlot } from '../../src/format/header';
import { KDF_ARGON2ID13, KdfParams, PREAMBLE_BYTES } from '../../src/format/limits';
import { makeKeychainSlot, newVault, Rng, sealFile } from '../../src/format/seal';

export interface Vector {
  name: string;
  text: string;
}

/** A deterministic byte stream: SHA-256 of "label:counter". Only for vectors. */
function fixedRng(label: string): Rng {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      out.set(createHash('sha256').update(`${label}:${counter++}`).digest().subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

const KDF: KdfParams = { alg: KDF_ARGON2ID13, opsLimit: 2, memKiB: 19 * 1024 };
const PASSPHRASE = 'correct horse battery staple';
const BODY = '{"entries":[{"created":"2026-01-01T00:00:00.000Z","env":{},"exchange":"binance","ips":["203.0.113.7"],"name":"binance-main","permissions":["reading","spot"],"secrets":{"apiKey":"vectorKey0000000000000000000000000000000000000000000000000000000","apiSecret":"vectorSecret00000000000000000000000000000000000000000000000000000"},"updated":"2026-01-01T00:00:00.000Z"}],"v":1}';

function render(fields: Record<string, string>, file: Uint8Array): string {
  const head = Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('\n');
  const b64 = Buffer.from(file).toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  return `${head}\n\n${b64}\n`;
}

export async function generateVectors(): Promise<Vector[]> {
  await ready();
  const rng = fixedRng('exvault-vectors-v1');
  const plain = new TextEncoder().encode(BODY);
  const v = newVault(PASSPHRASE, KDF, rng, 1);
  const good = sealFile(v.header, v.dataKey, plain, rng);
  const keychainKey = rng(32);
  const two = newVault(PASSPHRASE, KDF, rng, 1);
  two.header.slots.push(makeKeychainSlot(two.header, two.dataKey, keychainKey, rng));
  const twoSlots = sealFile(two.header, two.dataKey, plain, rng);

  const aadLen = decodeFile(good).aad.length;
  const slotStart = PREAMBLE_BYTES + 16 + 24 + 1;
  const flip = (f: Uint8Array, at: number) => {
    const c = f.slice();
    c[at]! ^= 0x01;
    return c;
  };
  const setKdf = (mem: number, ops: number) => {
    const h = decodeFile(good);
    const slot = h.header.slots[0]!;
    if (slot.type === 'passphrase') (slot as PassphraseSlot).kdf = { ...(slot as PassphraseSlot).kdf, memKiB: mem, opsLimit: ops };
    return new Uint8Array([...encodeHeader(h.header), ...h.body]);
  };
  const version2 = good.slice();
  new DataView(version2.buffer).setUint16(8, 2);

  const common = { passphrase: PASSPHRASE };
  const cases: [string, Record<string, string>, Uint8Array][] = [
    ['success', { expect: 'success', exit: '0', ...common, body: BODY }, good],
    ['success_two_slots', { expect: 'success', exit: '0', ...common, 'keychain-key': Buffer.from(keychainKey).toString('hex'), body: BODY }, twoSlots],
    ['wrong_passphrase', { expect: 'auth', exit: '3', passphrase: 'correct horse battery stapler' }, good],
    ['tampered_header_nonce', { expect: 'auth', exit: '3', ...common, comment: 'one bit of the body nonce flipped' }, flip(good, PREAMBLE_BYTES + 16)],
    ['tampered_vault_id', { expect: 'auth', exit: '3', ...common, comment: 'one bit of the vault id flipped (the slot is bound to it)' }, flip(good, PREAMBLE_BYTES)],
    ['tampered_slot', { expect: 'auth', exit: '3', ...common, comment: 'one bit of the wrapped data key flipped' }, flip(good, aadLen - 1)],
    ['tampered_body', { expect: 'auth', exit: '3', ...common, comment: 'one bit of the body flipped' }, flip(good, aadLen + 5)],
    ['truncated_body', { expect: 'auth', exit: '3', ...common, comment: 'last byte removed' }, good.slice(0, good.length - 1)],
    ['truncated_header', { expect: 'corrupt', exit: '5', ...common, comment: 'cut inside the header' }, good.slice(0, slotStart)],
    ['appended_byte', { expect: 'auth', exit: '3', ...common, comment: 'one byte added at the end' }, new Uint8Array([...good, 0])],
    ['unsupported_version', { expect: 'corrupt', exit: '5', ...common, comment: 'format version 2' }, version2],
    ['bad_magic', { expect: 'corrupt', exit: '5', ...common, comment: 'first byte changed' }, flip(good, 0)],
    ['kdf_below_floor', { expect: 'corrupt', exit: '5', ...common, comment: '18 MiB' }, setKdf(18 * 1024, 2)],
    ['kdf_above_cap', { expect: 'corrupt', exit: '5', ...common, comment: '2 GiB' }, setKdf(2 * 1024 * 1024, 2)],
    ['kdf_passes_above_cap', { expect: 'corrupt', exit: '5', ...common, comment: '1000 passes' }, setKdf(19 * 1024, 1000)],
  ];
  return cases.map(([name, fields, file]) => ({ name, text: render({ case: name, ...fields }, file) }));
}

/** Parses a vector file back into its fields and file bytes. */
export function parseVector(text: string): { fields: Record<string, string>; file: Uint8Array } {
  const [head, b64] = text.split('\n\n');
  const fields: Record<string, string> = {};
  for (const l of head!.split('\n')) {
    const i = l.indexOf(': ');
    fields[l.slice(0, i)] = l.slice(i + 2);
  }
  return { fields, file: Uint8Array.from(Buffer.from(b64!.replace(/\n/g, ''), 'base64')) };
}
