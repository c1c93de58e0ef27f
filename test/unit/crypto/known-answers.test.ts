// Known answers through the exact code we ship: Argon2id through libsodium (values computed
// with the reference implementation, Debian's argon2 CLI); XChaCha20-Poly1305 through
// crypto/aead.ts (noble's HChaCha20 + OpenSSL), against the draft-irtf-cfrg-xchacha-03 A.3.1
// vector, an HChaCha20 written out here, and libsodium's own implementation.
import { createCipheriv } from 'node:crypto';
import * as aead from '../../../src/crypto/aead';
import { argon2id, argon2idInWorker } from '../../../src/crypto/kdf';
import { lib, ready } from '../../../src/crypto/sodium';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

beforeAll(async () => {
  await ready();
});

describe('Argon2id (crypto_pwhash) known answers', () => {
  it.each([
    ['exvault known answer', 'saltsaltsaltsalt', 2, 19456, '9bc90a43fbb4b191b937bda1b6f319e199ed9958415e9e04955da0e10d91ab3d'],
    ['password', 'somesaltsomesalt', 3, 65536, '7664ad4ba1a3c999fcdd0991ffc2270f78302d2383233db5e7befc85d1bb1819'],
  ])('password %s, salt %s, t=%i, m=%i KiB', (pw, salt, t, mKiB, expected) => {
    const key = argon2id(new TextEncoder().encode(pw as string), new TextEncoder().encode(salt as string), t as number, (mKiB as number) * 1024);
    expect(toHex(key)).toBe(expected);
    expect(key.some((b) => b !== 0)).toBe(true);
  });

  it('the worker-thread derivation (used behind the spinner) gives the same answer', async () => {
    const key = await argon2idInWorker(new TextEncoder().encode('exvault known answer'), new TextEncoder().encode('saltsaltsaltsalt'), 2, 19456 * 1024);
    expect(toHex(key)).toBe('9bc90a43fbb4b191b937bda1b6f319e199ed9958415e9e04955da0e10d91ab3d');
  });

  it('the binding really has crypto_pwhash (the non-sumo build lacks it)', () => {
    expect(typeof lib().crypto_pwhash).toBe('function');
  });
});

const KEY = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
const NONCE = hex('404142434445464748494a4b4c4d4e4f5051525354555657');
const AD = hex('50515253c0c1c2c3c4c5c6c7');
const PT = new TextEncoder().encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
const CT =
  'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452' +
  '2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e' +
  'c0875924c1c7987947deafd8780acf49';

/** HChaCha20 (draft-irtf-cfrg-xchacha section 2.2), written out so the check does not trust libsodium. */
function hchacha20(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  const s = new Uint32Array(16);
  s.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
  const kv = new DataView(key.buffer, key.byteOffset, 32);
  const nv = new DataView(nonce16.buffer, nonce16.byteOffset, 16);
  for (let i = 0; i < 8; i++) s[4 + i] = kv.getUint32(i * 4, true);
  for (let i = 0; i < 4; i++) s[12 + i] = nv.getUint32(i * 4, true);
  const rotl = (v: number, n: number) => ((v << n) | (v >>> (32 - n))) >>> 0;
  const qr = (a: number, b: number, c: number, d: number) => {
    s[a] = (s[a]! + s[b]!) >>> 0; s[d] = rotl(s[d]! ^ s[a]!, 16);
    s[c] = (s[c]! + s[d]!) >>> 0; s[b] = rotl(s[b]! ^ s[c]!, 12);
    s[a] = (s[a]! + s[b]!) >>> 0; s[d] = rotl(s[d]! ^ s[a]!, 8);
    s[c] = (s[c]! + s[d]!) >>> 0; s[b] = rotl(s[b]! ^ s[c]!, 7);
  };
  for (let i = 0; i < 10; i++) {
    qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15);
    qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14);
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  [0, 1, 2, 3, 12, 13, 14, 15].forEach((w, i) => ov.setUint32(i * 4, s[w]!, true));
  return out;
}

describe('XChaCha20-Poly1305 known answer', () => {
  it('matches the draft vector', () => {
    expect(toHex(aead.seal(KEY, NONCE, PT, AD))).toBe(CT);
    expect(Buffer.from(aead.open(KEY, NONCE, hex(CT), AD)!).toString()).toBe(Buffer.from(PT).toString());
  });

  it('matches an independent construction (HChaCha20 + Node ChaCha20-Poly1305)', () => {
    const subkey = hchacha20(KEY, NONCE.slice(0, 16));
    const nonce12 = new Uint8Array(12);
    nonce12.set(NONCE.slice(16), 4);
    const c = createCipheriv('chacha20-poly1305', subkey, nonce12, { authTagLength: 16 });
    c.setAAD(AD, { plaintextLength: PT.length });
    const out = Buffer.concat([c.update(PT), c.final(), c.getAuthTag()]);
    expect(out.toString('hex')).toBe(CT);
  });

  it('agrees with libsodium in both directions for random keys, nonces, data and lengths', () => {
    const s = lib();
    for (const len of [0, 1, 15, 16, 63, 64, 65, 255, 1000, 70_000]) {
      const key = s.randombytes_buf(32);
      const nonce = s.randombytes_buf(24);
      const ad = s.randombytes_buf(len % 50);
      const pt = s.randombytes_buf(len);
      const ours = aead.seal(key, nonce, pt, ad);
      expect(toHex(ours)).toBe(toHex(s.crypto_aead_xchacha20poly1305_ietf_encrypt(pt, ad, null, nonce, key)));
      const theirs = s.crypto_aead_xchacha20poly1305_ietf_encrypt(pt, ad, null, nonce, key);
      expect(toHex(aead.open(key, nonce, theirs, ad)!)).toBe(toHex(pt));
    }
  });

  it('refuses any altered byte and returns null, never throws library text', () => {
    const ct = hex(CT);
    for (let i = 0; i < ct.length; i += 7) {
      const bad = ct.slice();
      bad[i]! ^= 0x01;
      expect(aead.open(KEY, NONCE, bad, AD)).toBeNull();
    }
    expect(aead.open(KEY, NONCE, ct, AD.slice(1))).toBeNull();
    expect(aead.open(KEY, NONCE, ct.slice(0, 10), AD)).toBeNull();
  });
});
