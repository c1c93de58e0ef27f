// The file-format items of SECURITY.md, at the format layer: every change to a vault is refused.
import { AuthError, CorruptError } from '../../../src/errors';
import * as kdf from '../../../src/crypto/kdf';
import { decodeFile, encodeHeader, UPDATE_LEAD } from '../../../src/format/header';
import { KDF_CAP, PREAMBLE_BYTES } from '../../../src/format/limits';
import { makeKeychainSlot, newVault, sealFile, unwrapWithKeychainKey } from '../../../src/format/seal';
import { randomBytes } from '../../../src/crypto/random';
import { makeVault, TEST_KDF, tryOpen } from '../../helpers/vault-bytes';
import { CANARY } from '../../helpers/canary';

const PASS = CANARY.vaultPassphrase;
const BODY = JSON.stringify({ v: 1, entries: [], secret: CANARY.apiSecret });

// Argon2id is deterministic: remember results so thousands of opens stay fast. The first call
// for each input is the real derivation; the spy also shows when no derivation happened.
jest.mock('../../../src/crypto/kdf', () => {
  const actual = jest.requireActual('../../../src/crypto/kdf');
  const memo = new Map<string, Uint8Array>();
  return {
    ...actual,
    argon2id: jest.fn((pw: Uint8Array, salt: Uint8Array, ops: number, mem: number) => {
      const k = `${Buffer.from(pw).toString('hex')}/${Buffer.from(salt).toString('hex')}/${ops}/${mem}`;
      if (!memo.has(k)) memo.set(k, actual.argon2id(pw, salt, ops, mem));
      return memo.get(k)!.slice();
    }),
  };
});

describe.each([1, 2])('format v%i', (version) => {
  let file: Uint8Array;
  beforeAll(async () => {
    ({ file } = await makeVault(PASS, BODY, version));
  });

  function expectRefused(bad: Uint8Array) {
    const r = tryOpen(bad, PASS);
    expect(r.plain).toBeUndefined();
    expect(r.err instanceof AuthError || r.err instanceof CorruptError).toBe(true);
    expect(String((r.err as Error).message)).not.toContain(CANARY.apiSecret);
  }

  it('opens untouched', () => {
    expect(tryOpen(file, PASS).plain).toBe(BODY);
  });

  it('refuses every single-byte change', () => {
    for (let i = 0; i < file.length; i++) {
      const bad = file.slice();
      bad[i]! ^= 0xff;
      expectRefused(bad);
    }
  });

  it('refuses every single-bit change of the preamble and header', () => {
    const headerEnd = decodeFile(file).aad.length;
    expect(headerEnd).toBeGreaterThan(PREAMBLE_BYTES);
    for (let i = 0; i < headerEnd; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = file.slice();
        bad[i]! ^= 1 << bit;
        expectRefused(bad);
      }
    }
  });

  it('refuses every truncation and 1 to 64 appended bytes', () => {
    for (let n = 0; n < file.length; n++) expectRefused(file.slice(0, n));
    for (let n = 1; n <= 64; n++) {
      const longer = new Uint8Array(file.length + n);
      longer.set(file);
      const junk = randomBytes(n);
      // Bytes that begin an update's lead are a write cut short, read as the state before it
      // (docs/FORMAT.md "Writing"): that one case is not junk, so it is not drawn here.
      if (Buffer.from(UPDATE_LEAD.subarray(0, Math.min(n, UPDATE_LEAD.length))).equals(Buffer.from(junk.subarray(0, Math.min(n, UPDATE_LEAD.length))))) junk[0]! ^= 0xff;
      longer.set(junk, file.length);
      expectRefused(longer);
    }
  });

  it('gives the same error for a wrong passphrase and a tampered body', () => {
    const wrong = tryOpen(file, 'not the passphrase at all').err as Error;
    const bad = file.slice();
    bad[bad.length - 1]! ^= 1;
    const tampered = tryOpen(bad, PASS).err as Error;
    expect(wrong).toBeInstanceOf(AuthError);
    expect(tampered).toBeInstanceOf(AuthError);
    expect(tampered.message).toBe(wrong.message);
  });

  it("refuses one vault's body under another vault's header", async () => {
    const other = await makeVault(PASS, BODY, version);
    const a = decodeFile(file);
    const b = decodeFile(other.file);
    const swapped = new Uint8Array([...a.aad, ...b.body]);
    expectRefused(swapped);
  });

  it('refuses a slot moved from another vault, even one with the same passphrase', async () => {
    const other = await makeVault(PASS, BODY, version);
    const a = decodeFile(file);
    const b = decodeFile(other.file);
    a.header.slots = b.header.slots;
    expectRefused(new Uint8Array([...encodeHeader(a.header), ...a.body]));
  });

  it('binds a keychain slot to its vault', async () => {
    const v1 = await makeVault(PASS, BODY, version);
    const v2 = await makeVault(PASS, BODY, version);
    const kk = randomBytes(32);
    v1.header.slots.push(makeKeychainSlot(v1.header, v1.dataKey, kk));
    v2.header.slots.push(makeKeychainSlot(v2.header, v2.dataKey, randomBytes(32)));
    const f1 = decodeFile(sealFile(v1.header, v1.dataKey, new TextEncoder().encode(BODY)));
    expect(unwrapWithKeychainKey(f1, kk)).toEqual(v1.dataKey);
    // The first vault's keychain slot pasted into the second vault opens nothing.
    const f2 = decodeFile(sealFile(v2.header, v2.dataKey, new TextEncoder().encode(BODY)));
    f2.header.slots[1] = f1.header.slots[1]!;
    expect(unwrapWithKeychainKey(f2, kk)).toBeNull();
  });

  describe('refusals before the KDF runs', () => {
    const spy = kdf.argon2id as jest.Mock;

    function withHeader(edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
      const bad = file.slice();
      edit(new DataView(bad.buffer), bad);
      return bad;
    }

    // Offset of the passphrase slot's KDF fields: preamble, vault id, then v1: body nonce; v2:
    // write id and the scope table (count, id, name length, "default"); then slot count, slot head.
    const slotPayload = PREAMBLE_BYTES + 16 + (version === 1 ? 24 : 16 + 1 + 4 + 1 + 7) + 1 + 3;

    it.each([
      ['an unknown version', (v: DataView) => v.setUint16(8, 3), /unsupported vault format version 3/],
      ['an older version', (v: DataView) => v.setUint16(8, 0), /unsupported vault format version 0/],
      ['memory under the floor', (v: DataView) => v.setUint32(slotPayload + 5, 18 * 1024), /below the minimum/],
      ['passes under the floor', (v: DataView) => v.setUint32(slotPayload + 1, 1), /below the minimum/],
      ['memory over the cap', (v: DataView) => v.setUint32(slotPayload + 5, KDF_CAP.memKiB + 1), /above the maximum/],
      ['4 TiB of memory', (v: DataView) => v.setUint32(slotPayload + 5, 0xffffffff), /above the maximum/],
      ['passes over the cap', (v: DataView) => v.setUint32(slotPayload + 1, 1_000_000), /above the maximum/],
      ['an unknown algorithm', (_v: DataView, b: Uint8Array) => { b[slotPayload] = 9; }, /unknown kdf algorithm/],
    ])('%s: CorruptError, no derivation', (_name, edit, message) => {
      const bad = withHeader(edit);
      spy.mockClear();
      const r = tryOpen(bad, PASS);
      expect(r.err).toBeInstanceOf(CorruptError);
      expect((r.err as Error).message).toMatch(message);
      expect(spy).not.toHaveBeenCalled();
    });
  });

  describe('nonces', () => {
    it('ten thousand saves use ten thousand distinct body nonces (v2: write ids)', async () => {
      const v = newVault(PASS, TEST_KDF, undefined, version);
      const plain = new TextEncoder().encode(BODY);
      const seen = new Set<string>();
      for (let i = 0; i < 10_000; i++) {
        sealFile(v.header, v.dataKey, plain);
        seen.add(Buffer.from(version === 1 ? v.header.bodyNonce : v.header.writeId).toString('hex'));
      }
      expect(seen.size).toBe(10_000);
    });

    it('saving the same content twice gives different bytes', () => {
      const v = newVault(PASS, TEST_KDF, undefined, version);
      const plain = new TextEncoder().encode(BODY);
      const a = Buffer.from(sealFile(v.header, v.dataKey, plain));
      const b = Buffer.from(sealFile(v.header, v.dataKey, plain));
      expect(a.equals(b)).toBe(false);
      expect(a.includes(Buffer.from(CANARY.apiSecret))).toBe(false);
    });
  });
});
