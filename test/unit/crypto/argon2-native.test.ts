// The native Argon2id (@node-rs/argon2) gives the bytes the WebAssembly fallback (libsodium)
// and the reference implementation (Debian's argon2 CLI, the C code of the Argon2 authors)
// give, through the exact functions the vault calls; more than one lane only natively.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

type Kdf = typeof import('../../../src/crypto/kdf');

const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const enc = (s: string) => new TextEncoder().encode(s);

/** A fresh copy of crypto/kdf.ts; with the native addon made unloadable (napi-rs's loader
 *  tries only this path when it is set) it falls back to libsodium. */
async function loadKdf(nativeBroken: boolean): Promise<Kdf> {
  const saved = process.env.NAPI_RS_NATIVE_LIBRARY_PATH;
  if (nativeBroken) process.env.NAPI_RS_NATIVE_LIBRARY_PATH = '/nonexistent/argon2.node';
  try {
    let mod!: Kdf;
    let loaded!: Promise<unknown>;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require('../../../src/crypto/kdf') as Kdf;
      // Inside, so the addon is required from this fresh registry (it is tried at once).
      loaded = mod.kdfReady();
    });
    await loaded;
    return mod;
  } finally {
    if (saved === undefined) delete process.env.NAPI_RS_NATIVE_LIBRARY_PATH;
    else process.env.NAPI_RS_NATIVE_LIBRARY_PATH = saved;
  }
}

let native: Kdf;
let wasm: Kdf;
beforeAll(async () => {
  native = await loadKdf(false);
  wasm = await loadKdf(true);
});

it('loads the native module here, and falls back to WebAssembly when it cannot load', async () => {
  expect(await native.kdfImplementation()).toBe('native');
  expect(await wasm.kdfImplementation()).toBe('wasm');
});

/** The reference CLI: password on stdin, raw hex out. */
function referenceArgon2(pw: string, salt: string, t: number, mKiB: number, lanes: number): string {
  const r = spawnSync('argon2', [salt, '-id', '-v', '13', '-t', String(t), '-k', String(mKiB), '-p', String(lanes), '-l', '32', '-r'], { input: pw, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`argon2 CLI failed (install Debian's argon2 package): ${r.stderr}`);
  return r.stdout.trim();
}

describe('same key as the reference argon2 CLI', () => {
  // Salts are ASCII (the CLI takes the salt as an argument); 16 bytes as the vault uses.
  it.each([
    ['exvault known answer', 'saltsaltsaltsalt', 2, 19456, 1],
    ['password', 'somesaltsomesalt', 3, 65536, 1],
    ['correct horse battery staple', 'abcdefghijklmnop', 4, 32768, 1],
    ['correct horse battery staple', 'abcdefghijklmnop', 3, 65536, 2],
    ['p\u00e4ssw\u00f6rd \ud83d\udd11', 'qrstuvwxyz012345', 6, 65536, 4],
    ['password', 'somesaltsomesalt', 2, 19456, 4],
    ['x', '0123456789abcdef', 3, 20000, 3],
  ])('password %j, salt %s, t=%i, m=%i KiB, %i lanes', (pw, salt, t, mKiB, lanes) => {
    const expected = referenceArgon2(pw, salt, t, mKiB, lanes);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
    expect(toHex(native.argon2id(enc(pw), enc(salt), t, mKiB * 1024, lanes))).toBe(expected);
    if (lanes === 1) expect(toHex(wasm.argon2id(enc(pw), enc(salt), t, mKiB * 1024))).toBe(expected);
  });

  it('the off-thread variants agree, natively with 4 lanes too', async () => {
    const expected1 = referenceArgon2('exvault known answer', 'saltsaltsaltsalt', 2, 19456, 1);
    const expected4 = referenceArgon2('exvault known answer', 'saltsaltsaltsalt', 2, 19456, 4);
    expect(expected4).not.toBe(expected1);
    const pw = () => enc('exvault known answer');
    expect(toHex(await native.argon2idInWorker(pw(), enc('saltsaltsaltsalt'), 2, 19456 * 1024))).toBe(expected1);
    expect(toHex(await native.argon2idInWorker(pw(), enc('saltsaltsaltsalt'), 2, 19456 * 1024, 4))).toBe(expected4);
    expect(toHex(await wasm.argon2idInWorker(pw(), enc('saltsaltsaltsalt'), 2, 19456 * 1024))).toBe(expected1);
  });
});

it('native and WebAssembly agree on random passwords and salts (one lane)', () => {
  for (let i = 0; i < 5; i++) {
    const pw = randomBytes(1 + i * 13);
    const salt = randomBytes(16);
    expect(toHex(native.argon2id(pw, salt, 2, 19 * 1024 * 1024))).toBe(toHex(wasm.argon2id(pw, salt, 2, 19 * 1024 * 1024)));
  }
});

it('the WebAssembly fallback refuses more than one lane with a clear error, sync and off-thread', async () => {
  // A storage error (exit 9, one line), as any package of the tool's that does not load.
  expect(() => wasm.argon2id(enc('pw'), enc('saltsaltsaltsalt'), 2, 19456 * 1024, 4)).toThrow(expect.objectContaining({ exitCode: 9 }));
  expect(() => wasm.argon2id(enc('pw'), enc('saltsaltsaltsalt'), 2, 19456 * 1024, 4)).toThrow(/4 lanes, which needs the native Argon2id/);
  await expect(wasm.argon2idInWorker(enc('pw'), enc('saltsaltsaltsalt'), 2, 19456 * 1024, 2)).rejects.toThrow(/2 lanes, which needs the native Argon2id/);
});

// RFC 9106 section 5.3 (Argon2id, t=3, m=32 KiB, p=4, 32-byte tag) uses an 8-byte secret and
// 12 bytes of associated data. @node-rs/argon2 takes a secret but no associated data, and
// libsodium and the Debian CLI take neither, so the RFC's tag cannot be reproduced through
// any of them. What can be: the RFC's password, salt and parameters without secret and data,
// against the reference CLI (the argon2 CLI reads the password from stdin, so its 0x01 bytes
// pass as they are, and its salt argument takes the 0x02 bytes).
it("RFC 9106's Argon2id parameters (without its secret and associated data) match the reference", () => {
  const password = new Uint8Array(32).fill(1);
  const salt = new Uint8Array(16).fill(2);
  const r = spawnSync('argon2', ['\u0002'.repeat(16), '-id', '-v', '13', '-t', '3', '-k', '32', '-p', '4', '-l', '32', '-r'], { input: Buffer.from(password), encoding: 'utf8' });
  expect(r.status).toBe(0);
  // Below the vault's floor (32 KiB), which kdf.ts does not check: limits.ts does, before.
  expect(toHex(native.argon2id(password, salt, 3, 32 * 1024, 4))).toBe(r.stdout.trim());
  // The RFC's own tag needs the associated data: not this one.
  expect(r.stdout.trim()).not.toBe('0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659');
});
