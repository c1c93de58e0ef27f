// Tamper sweep on a vault with two key slots (passphrase and OS keychain), made by the CLI:
// every single-byte change and every truncation is refused by both ways in, with a
// documented error. 100%, no sampling.
import * as fs from 'node:fs';
import { keychainAccount } from '../../src/app/keychain-item';
import { ready } from '../../src/crypto/sodium';
import { parseDoc } from '../../src/domain/document';
import { AuthError, CorruptError } from '../../src/errors';
import { decodeFile } from '../../src/format/header';
import { keychainSlotOf, openBody, unwrapWithKeychainKey } from '../../src/format/seal';
import { osKeychain } from '../../src/platform/keychain';
import { CANARY } from '../helpers/canary';
import { BINANCE_JSON, OKX_JSON, Sandbox } from '../helpers/cli';
import { openVaultFile, timeLimit } from '../helpers/adversarial';

let sb: Sandbox;
let good: Buffer;
let keychainKey: Uint8Array;
beforeAll(async () => {
  await ready();
  sb = new Sandbox();
  await sb.init();
  expect((await sb.vaultCmd(['add', 'okx', '--exchange', 'okx'], { input: OKX_JSON })).code).toBe(0);
  expect((await sb.vaultCmd(['add', 'bin', '--exchange', 'binance', '--ip', '203.0.113.7'], { input: BINANCE_JSON })).code).toBe(0);
  expect((await sb.vaultCmd(['keychain', 'enable'])).code).toBe(0);
  good = fs.readFileSync(sb.vault);
  const parsed = decodeFile(new Uint8Array(good));
  expect(parsed.header.slots.map((s) => s.type)).toEqual(['passphrase', 'keychain']);
  // The keychain key as the CLI stored it, read back from the real Secret Service.
  const slot = keychainSlotOf(parsed.header)!;
  keychainKey = (await osKeychain().read(keychainAccount(parsed.header.vaultId, slot)))!;
  expect(keychainKey).toBeTruthy();
});
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

/** How each way in fares on a file: 'opened', or the documented error it gave. */
async function outcomes(file: Buffer): Promise<string[]> {
  const viaKeychain = (() => {
    try {
      const parsed = decodeFile(new Uint8Array(file));
      const key = unwrapWithKeychainKey(parsed, keychainKey);
      if (!key) return 'refused';
      parseDoc(openBody(parsed, key));
      return 'opened';
    } catch (err) {
      if (err instanceof AuthError || err instanceof CorruptError) return 'refused';
      throw err;
    }
  })();
  const viaPassphrase = await (async () => {
    const tmp = `${sb.root}/home/t.exv`;
    fs.writeFileSync(tmp, file);
    try {
      await openVaultFile(tmp, CANARY.vaultPassphrase);
      return 'opened';
    } catch (err) {
      if (err instanceof AuthError || err instanceof CorruptError) return 'refused';
      throw err;
    }
  })();
  return [viaKeychain, viaPassphrase];
}

it('the untouched file opens both ways (the sweep below could succeed)', async () => {
  expect(await outcomes(good)).toEqual(['opened', 'opened']);
});

it('every single-byte change (xor 0x01 and xor 0xff at every offset) is refused both ways', async () => {
  let refused = 0;
  for (let i = 0; i < good.length; i++) {
    for (const mask of [0x01, 0xff]) {
      const bad = Buffer.from(good);
      bad[i]! ^= mask;
      expect([i, mask, ...(await outcomes(bad))]).toEqual([i, mask, 'refused', 'refused']);
      refused++;
    }
  }
  expect(refused).toBe(good.length * 2);
  process.stderr.write(`tamper sweep: ${good.length}-byte two-slot vault, ${refused} byte changes, all refused\n`);
}, timeLimit(600_000));

it('every truncation, and 1 to 64 appended bytes, are refused both ways', async () => {
  for (let len = 0; len < good.length; len++) expect([len, ...(await outcomes(good.subarray(0, len)))]).toEqual([len, 'refused', 'refused']);
  for (let n = 1; n <= 64; n++) expect([n, ...(await outcomes(Buffer.concat([good, Buffer.alloc(n, n)])))]).toEqual([n, 'refused', 'refused']);
}, timeLimit(600_000));
