// src/crypto/age-x25519.ts against things nobody here wrote: Debian's age and age-keygen (keys
// they make parse here; a file `age -r` encrypts opens through our unwrap; a file whose
// X25519 stanza our wrap made opens with `age -d`), and the age test vectors of C2SP/CCTV
// (test/fixtures/age-cctv). The age file reader and writer below are test-side only: header,
// stanzas, header HMAC and STREAM payload as https://age-encryption.org/v1 specifies them,
// with ChaCha20-Poly1305 from @noble/ciphers (the code under test uses OpenSSL's).
import { chacha20poly1305 } from '@noble/ciphers/chacha';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import {
  AgeIdentity,
  formatIdentityFile,
  formatRecipient,
  parseIdentity,
  parseIdentityFile,
  parseRecipient,
  unwrapKey,
  wrapKey,
} from '../../../src/crypto/age-x25519';
import { CorruptError, UsageError } from '../../../src/errors';
import { CANARY, findCanary } from '../../helpers/canary';

const HANG_MS = 60_000;
const CHUNK = 64 * 1024;
const enc = new TextEncoder();

// ---- a minimal age v1 reader and writer (test side) -------------------------------------

/** Standard base64 without padding, as age writes it; null unless canonical. */
function b64decode(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*$/.test(s)) return null;
  const b = Buffer.from(s, 'base64');
  return b.toString('base64').replace(/=+$/, '') === s ? new Uint8Array(b) : null;
}
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64').replace(/=+$/, '');

const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string) => new Uint8Array(hkdfSync('sha256', ikm, salt, info, 32));
const headerMac = (fileKey: Uint8Array, header: Uint8Array) => new Uint8Array(createHmac('sha256', hkdf(fileKey, new Uint8Array(0), 'header')).update(header).digest());

function streamNonce(counter: number, last: boolean): Uint8Array {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setUint32(7, counter); // counters here stay far below 2^32
  n[11] = last ? 1 : 0;
  return n;
}

type Outcome = 'success' | 'no match' | 'header failure' | 'HMAC failure' | 'payload failure';

interface Stanza {
  args: string[];
  body: Uint8Array;
}

class HeaderFailure extends Error {}

/** Splits off the header: stanzas, the bytes the MAC covers, the MAC, and the payload. */
function parseHeader(file: Uint8Array): { stanzas: Stanza[]; macInput: Uint8Array; mac: Uint8Array; payload: Uint8Array } {
  let pos = 0;
  const line = (): string => {
    const nl = file.indexOf(0x0a, pos);
    if (nl < 0) throw new HeaderFailure('unterminated header line');
    const s = Buffer.from(file.subarray(pos, nl)).toString('latin1');
    pos = nl + 1;
    return s;
  };
  if (line() !== 'age-encryption.org/v1') throw new HeaderFailure('version line');
  const stanzas: Stanza[] = [];
  for (;;) {
    const start = pos;
    const l = line();
    if (l.startsWith('---')) {
      if (!l.startsWith('--- ')) throw new HeaderFailure('mac line');
      const mac = b64decode(l.slice(4));
      if (!mac || mac.length !== 32) throw new HeaderFailure('mac');
      return { stanzas, macInput: file.subarray(0, start + 3), mac, payload: file.subarray(pos) };
    }
    if (!l.startsWith('-> ')) throw new HeaderFailure('stanza line');
    const args = l.slice(3).split(' ');
    if (args.some((a) => a === '' || !/^[\x21-\x7e]+$/.test(a))) throw new HeaderFailure('stanza argument');
    const parts: Uint8Array[] = [];
    for (;;) {
      const bl = line();
      if (bl.length > 64) throw new HeaderFailure('body line too long');
      const part = b64decode(bl);
      if (!part) throw new HeaderFailure('body base64');
      parts.push(part);
      if (bl.length < 64) break;
    }
    stanzas.push({ args, body: Uint8Array.from(Buffer.concat(parts)) });
  }
}

/** Decrypts an age file with X25519 identities, through unwrapKey: what happened, and the plaintext released. */
function ageDecrypt(file: Uint8Array, identities: AgeIdentity[]): { outcome: Outcome; plaintext: Uint8Array } {
  const none = new Uint8Array(0);
  let h: ReturnType<typeof parseHeader>;
  let fileKey: Uint8Array | null = null;
  try {
    h = parseHeader(file);
    for (const s of h.stanzas) {
      if (s.args[0] !== 'X25519') continue;
      // age: exactly one argument, a canonical base64 share; its length is unwrapKey's to check.
      if (s.args.length !== 2) throw new HeaderFailure('X25519 arguments');
      const share = b64decode(s.args[1]!);
      if (!share) throw new HeaderFailure('share base64');
      for (const id of identities) {
        fileKey = unwrapKey(id, share, s.body, 16);
        if (fileKey) break;
      }
      if (fileKey) break;
    }
  } catch (e) {
    if (e instanceof HeaderFailure || e instanceof CorruptError) return { outcome: 'header failure', plaintext: none };
    throw e;
  }
  if (!fileKey) return { outcome: 'no match', plaintext: none };
  const expected = headerMac(fileKey, h.macInput);
  if (Buffer.compare(Buffer.from(expected), Buffer.from(h.mac)) !== 0) return { outcome: 'HMAC failure', plaintext: none };
  if (h.payload.length < 16) return { outcome: 'payload failure', plaintext: none };
  const key = hkdf(fileKey, h.payload.subarray(0, 16), 'payload');
  const out: Uint8Array[] = [];
  let rest = h.payload.subarray(16);
  for (let counter = 0; ; counter++) {
    const n = Math.min(rest.length, CHUNK + 16);
    const last = rest.length <= CHUNK + 16;
    try {
      const pt = chacha20poly1305(key, streamNonce(counter, last)).decrypt(rest.subarray(0, n));
      // Only the first chunk of an empty file may be empty.
      if (pt.length === 0 && counter > 0) throw new Error('empty last chunk');
      out.push(pt);
    } catch {
      return { outcome: 'payload failure', plaintext: Buffer.concat(out) };
    }
    rest = rest.subarray(n);
    if (last) return { outcome: 'success', plaintext: Buffer.concat(out) };
  }
}

/** An age file with one X25519 stanza whose share and body come from our wrapKey. */
function ageEncrypt(recipient: string, plaintext: Uint8Array): Uint8Array {
  const fileKey = new Uint8Array(randomBytes(16));
  const { share, body } = wrapKey(parseRecipient(recipient), fileKey);
  const header = enc.encode(`age-encryption.org/v1\n-> X25519 ${b64(share)}\n${b64(body)}\n---`);
  const mac = headerMac(fileKey, header);
  const nonce = new Uint8Array(randomBytes(16));
  const key = hkdf(fileKey, nonce, 'payload');
  const chunks: Uint8Array[] = [header, enc.encode(` ${b64(mac)}\n`), nonce];
  let counter = 0;
  let off = 0;
  do {
    const pt = plaintext.subarray(off, off + CHUNK);
    off += pt.length;
    chunks.push(chacha20poly1305(key, streamNonce(counter++, off >= plaintext.length)).encrypt(pt));
  } while (off < plaintext.length);
  return Buffer.concat(chunks);
}

// ---- the real age ---------------------------------------------------------------------------

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exvault-age-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function run(cmd: string, args: string[], input?: Uint8Array) {
  const r = spawnSync(cmd, args, { input, timeout: HANG_MS, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} could not run (${(r.error as NodeJS.ErrnoException).code}); scripts/install-system-deps.sh installs age`);
  // Whatever age printed must hold no secret: the canaries are the plaintexts below.
  expect(findCanary(r.stderr)).toBeNull();
  return r;
}

/** A fresh identity file from the real age-keygen, and the recipient it says belongs to it. */
let made = 0;
function keygen(name: string): { file: string; recipient: string } {
  // age-keygen -o refuses to overwrite a file: a new name for each.
  const file = path.join(dir, `${made++}-${name}`);
  const r = run('age-keygen', ['-o', file]);
  expect(r.status).toBe(0);
  const y = run('age-keygen', ['-y', file]);
  expect(y.status).toBe(0);
  return { file, recipient: y.stdout.toString().trim() };
}

const PLAINTEXTS: [string, Uint8Array][] = [
  ['a secret', enc.encode(CANARY.apiSecret)],
  ['empty', new Uint8Array(0)],
  ['exactly one chunk', new Uint8Array(CHUNK).fill(0x41)],
  ['three chunks', Uint8Array.from({ length: 2 * CHUNK + 1234 }, (_, i) => (i * 7) & 0xff)],
];

describe('against Debian age', () => {
  it('an identity made by age-keygen parses, and its recipient is the one age-keygen -y prints', () => {
    for (let i = 0; i < 3; i++) {
      const { file, recipient } = keygen(`keygen-${i}.txt`);
      expect(recipient).toMatch(/^age1[02-9ac-hj-np-z]{58}$/);
      const id = parseIdentityFile(fs.readFileSync(file, 'utf8'));
      expect(id.recipient()).toBe(recipient);
      expect(formatRecipient(parseRecipient(recipient))).toBe(recipient);
      // The identity text round-trips exactly as age-keygen wrote it.
      const keyLine = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'));
      expect(id.format()).toBe(keyLine);
    }
  });

  it('age-keygen -y reads the identity file we write, and prints the recipient we compute', () => {
    const id = AgeIdentity.generate();
    const file = path.join(dir, 'ours.txt');
    fs.writeFileSync(file, formatIdentityFile(id, new Date('2026-12-02T04:05:06.789Z')), { mode: 0o600 });
    expect(fs.readFileSync(file, 'utf8').split('\n').slice(0, 2)).toEqual(['# created: 2026-12-02T04:05:06Z', `# public key: ${id.recipient()}`]);
    const y = run('age-keygen', ['-y', file]);
    expect(y.status).toBe(0);
    expect(y.stdout.toString().trim()).toBe(id.recipient());
  });

  it.each(PLAINTEXTS)('a file `age -r` encrypted (%s) opens through our unwrap', (_name, plaintext) => {
    const { file, recipient } = keygen('enc.txt');
    const other = keygen('other.txt');
    const r = run('age', ['-r', other.recipient, '-r', recipient], plaintext);
    expect(r.status).toBe(0);
    const id = parseIdentityFile(fs.readFileSync(file, 'utf8'));
    const got = ageDecrypt(r.stdout, [id]);
    expect(got.outcome).toBe('success');
    expect(Buffer.from(got.plaintext).equals(Buffer.from(plaintext))).toBe(true);
    // And not with an identity it was not encrypted to.
    expect(ageDecrypt(r.stdout, [AgeIdentity.generate()]).outcome).toBe('no match');
  });

  it.each(PLAINTEXTS)('a file whose X25519 stanza our wrap made (%s) opens with `age -d`', (_name, plaintext) => {
    const { file, recipient } = keygen('dec.txt');
    const encrypted = ageEncrypt(recipient, plaintext);
    // Our own reader agrees with the writer, and age does.
    expect(ageDecrypt(encrypted, [parseIdentityFile(fs.readFileSync(file, 'utf8'))]).outcome).toBe('success');
    const r = run('age', ['-d', '-i', file], encrypted);
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    expect(Buffer.from(r.stdout).equals(Buffer.from(plaintext))).toBe(true);
  });

  it('age -d refuses our file for another identity, and when one byte of our stanza body changes', () => {
    const { file, recipient } = keygen('refuse.txt');
    const wrong = keygen('wrong.txt');
    const encrypted = ageEncrypt(recipient, enc.encode(CANARY.apiSecret));
    const r = run('age', ['-d', '-i', wrong.file], encrypted);
    expect(r.status).not.toBe(0);
    expect(r.stdout.length).toBe(0);
    // Change the body line's first character (a byte of the wrapped key), keeping it base64.
    const text = Buffer.from(encrypted).toString('latin1');
    const at = text.indexOf('\n', text.indexOf('-> X25519')) + 1;
    const tampered = Buffer.from(text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1), 'latin1');
    const t = run('age', ['-d', '-i', file], tampered);
    expect(t.status).not.toBe(0);
    expect(t.stdout.length).toBe(0);
  });
});

// ---- C2SP/CCTV age test vectors -------------------------------------------------------------

const VECTORS = path.resolve(__dirname, '../../fixtures/age-cctv');

describe('C2SP/CCTV age test vectors (X25519)', () => {
  const names = fs.readdirSync(VECTORS).filter((n) => n.startsWith('x25519'));
  it('are all here', () => {
    expect(names.length).toBe(14);
  });

  it.each(names)('%s', (name) => {
    const raw = fs.readFileSync(path.join(VECTORS, name));
    const split = raw.indexOf('\n\n');
    const meta = raw.subarray(0, split).toString('utf8').split('\n').map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)] as const);
    const get = (k: string) => meta.filter(([key]) => key === k).map(([, v]) => v);
    const ids = get('identity').map(parseIdentity);
    const got = ageDecrypt(raw.subarray(split + 2), ids);
    expect(got.outcome).toBe(get('expect')[0]);
    const payload = get('payload')[0];
    if (payload) expect(createHash('sha256').update(got.plaintext).digest('hex')).toBe(payload);
  });
});

// ---- the primitive itself ------------------------------------------------------------------

describe('wrap and unwrap', () => {
  const alice = AgeIdentity.generate();

  it('round-trips keys of 16 to 64 bytes, for any key and a fresh share each time', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 64 }), (key) => {
        const w = wrapKey(alice.publicKey, key);
        expect(w.share.length).toBe(32);
        expect(w.body.length).toBe(key.length + 16);
        expect(Buffer.from(unwrapKey(alice, w.share, w.body)!).equals(Buffer.from(key))).toBe(true);
        expect(Buffer.from(unwrapKey(alice, w.share, w.body, key.length)!).equals(Buffer.from(key))).toBe(true);
      }),
      { numRuns: 50 },
    );
    const key = new Uint8Array(32).fill(7);
    expect(Buffer.from(wrapKey(alice.publicKey, key).share).equals(Buffer.from(wrapKey(alice.publicKey, key).share))).toBe(false);
  });

  it('a wrong identity gets null', () => {
    const w = wrapKey(alice.publicKey, new Uint8Array(32).fill(1));
    expect(unwrapKey(AgeIdentity.generate(), w.share, w.body)).toBeNull();
  });

  it('any flipped bit of the share or the body gets null', () => {
    const key = enc.encode(CANARY.apiKey.slice(0, 32));
    const w = wrapKey(alice.publicKey, key);
    fc.assert(
      fc.property(fc.nat({ max: (32 + w.body.length) * 8 - 1 }), (bit) => {
        const share = Uint8Array.from(w.share);
        const body = Uint8Array.from(w.body);
        const byte = bit >> 3;
        if (byte < 32) share[byte]! ^= 1 << (bit & 7);
        else body[byte - 32]! ^= 1 << (bit & 7);
        // The top bit of a share is ignored by X25519 (RFC 7748), but it is in the HKDF salt.
        expect(unwrapKey(alice, share, body)).toBeNull();
      }),
      { numRuns: 200 },
    );
  });

  it('a low-order share is refused as corrupt, whatever the identity', () => {
    const body = new Uint8Array(32);
    // The identity point and the order-8 points of RFC 7748 / cr.yp.to/ecdh.html#validate.
    for (const hex of [
      '0000000000000000000000000000000000000000000000000000000000000000',
      '0100000000000000000000000000000000000000000000000000000000000000',
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
      '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    ]) {
      expect(() => unwrapKey(alice, Uint8Array.from(Buffer.from(hex, 'hex')), body)).toThrow(CorruptError);
    }
  });

  it('a low-order recipient is refused before anything is wrapped', () => {
    expect(() => wrapKey(new Uint8Array(32), new Uint8Array(16))).toThrow(UsageError);
  });

  it('malformed lengths are refused: share, body, expected key length, key to wrap', () => {
    const w = wrapKey(alice.publicKey, new Uint8Array(16));
    expect(() => unwrapKey(alice, w.share.subarray(1), w.body)).toThrow(CorruptError);
    expect(() => unwrapKey(alice, Uint8Array.from([...w.share, 0]), w.body)).toThrow(CorruptError);
    expect(() => unwrapKey(alice, w.share, w.body.subarray(1))).toThrow(CorruptError);
    expect(() => unwrapKey(alice, w.share, w.body, 32)).toThrow(CorruptError);
    expect(() => wrapKey(alice.publicKey, new Uint8Array(15))).toThrow();
    expect(() => wrapKey(alice.publicKey, new Uint8Array(65))).toThrow();
    expect(() => wrapKey(alice.publicKey.subarray(1), new Uint8Array(16))).toThrow(UsageError);
  });
});

describe('identities and recipients', () => {
  it('format and parse round-trip for any 32 secret bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (secret) => {
        const id = AgeIdentity.fromSecretKey(secret);
        const text = id.format();
        expect(text).toMatch(/^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/);
        const back = parseIdentity(text);
        expect(back.format()).toBe(text);
        expect(back.recipient()).toBe(id.recipient());
        expect(parseRecipient(id.recipient())).toEqual(id.publicKey);
      }),
      { numRuns: 50 },
    );
  });

  it('the public key is X25519 of the secret (RFC 7748 section 6.1, Alice)', () => {
    const id = AgeIdentity.fromSecretKey(Uint8Array.from(Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex')));
    expect(Buffer.from(id.publicKey).toString('hex')).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  });

  it('an identity never prints its secret: toString, JSON, util.inspect, template strings', () => {
    const id = AgeIdentity.generate();
    const secret = id.format();
    for (const shown of [String(id), `${id}`, JSON.stringify({ id }), inspect(id), inspect({ nested: { id } })]) {
      expect(shown).not.toContain(secret.slice(16, 40));
      expect(shown).toContain('[age identity]');
    }
  });

  it('dispose wipes the secret', () => {
    const id = AgeIdentity.generate();
    const w = wrapKey(id.publicKey, new Uint8Array(32).fill(3));
    id.dispose();
    expect(id.format()).toBe(AgeIdentity.fromSecretKey(new Uint8Array(32)).format());
    expect(unwrapKey(id, w.share, w.body)).toBeNull();
  });

  it('any one changed, dropped or added character is refused, and the message never holds the input', () => {
    const id = AgeIdentity.generate();
    const secret = id.format();
    const recipient = id.recipient();
    const alphabet = 'qpzry9x8gf2tvdw0s3jn54khce6mua7lQPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L1bio-';
    const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('change', 'drop', 'add'), c: fc.constantFrom(...alphabet) });
    const apply = (s: string, e: { at: number; kind: string; c: string }) => {
      const i = e.at % s.length;
      if (e.kind === 'drop') return s.slice(0, i) + s.slice(i + 1);
      if (e.kind === 'add') return s.slice(0, i) + e.c + s.slice(i);
      return s.slice(0, i) + e.c + s.slice(i + 1);
    };
    fc.assert(
      fc.property(edit, (e) => {
        const bad = apply(secret, e);
        fc.pre(bad !== secret);
        let message = '';
        try {
          parseIdentity(bad);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          message = (err as Error).message;
        }
        expect(message).not.toBe('');
        // No 8 characters of the key's data part, from anywhere in it, are in the message.
        for (let i = 16; i + 8 <= secret.length; i++) expect(message).not.toContain(secret.slice(i, i + 8));
        const badR = apply(recipient, e);
        fc.pre(badR !== recipient);
        expect(() => parseRecipient(badR)).toThrow(UsageError);
      }),
      { numRuns: 300 },
    );
  });

  it('case matters as in age: a lower-case identity and an upper-case recipient are refused', () => {
    const id = AgeIdentity.generate();
    expect(() => parseIdentity(id.format().toLowerCase())).toThrow(UsageError);
    expect(() => parseRecipient(id.recipient().toUpperCase())).toThrow(UsageError);
    // A recipient is not an identity, nor the reverse; a plugin recipient is not X25519.
    expect(() => parseIdentity(id.recipient())).toThrow(UsageError);
    expect(() => parseRecipient(id.format())).toThrow(UsageError);
    expect(() => parseRecipient('age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t')).toThrow(UsageError);
  });

  it('identity files: comments, blank lines and CRLF are skipped; none or two identities are refused without their text', () => {
    const a = AgeIdentity.generate();
    const b = AgeIdentity.generate();
    // What the error says a valid one looks like is true.
    expect(() => parseIdentity('x')).toThrow(`AGE-SECRET-KEY-1 and ${a.format().length - 16} more characters`);
    expect(() => parseRecipient('x')).toThrow(`age1 and ${a.recipient().length - 4} more characters`);
    const file = `# created: 2026-12-02T04:05:06Z\r\n# public key: ${a.recipient()}\r\n\r\n${a.format()}\r\n`;
    expect(parseIdentityFile(file).recipient()).toBe(a.recipient());
    for (const [text, pattern] of [
      ['# only a comment\n', /no identity/],
      [`${a.format()}\n${b.format()}\n`, /lines 1 and 2/],
      [`# comment\n${a.format().slice(0, -1)}x\n`, /line 2 /],
      [`${a.recipient()}\n`, /line 1 /],
    ] as const) {
      let message = '';
      try {
        parseIdentityFile(text);
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        message = (err as Error).message;
      }
      expect(message).toMatch(pattern);
      expect(message).not.toContain(a.format().slice(16, 30));
      expect(message).not.toContain(b.format().slice(16, 30));
    }
  });
});
