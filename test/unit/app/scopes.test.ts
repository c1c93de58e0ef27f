// grantScopes: a slot given a subset of scopes unwraps exactly those keys, through its own
// type's key-encryption key; without the means for that key the slot is left as it was.
import { ready } from '../../../src/crypto/sodium';
import { grantScopes } from '../../../src/app/scopes';
import { decodeHead, encodeHeader } from '../../../src/format/header';
import { addScope, makeKeychainSlot, newVault, unwrapWithKeychainKey, unwrapWithPassphrase } from '../../../src/format/seal';
import { randomBytes } from '../../../src/crypto/random';
import { CANARY } from '../../helpers/canary';
import { TEST_KDF } from '../../helpers/vault-bytes';

const PASS = CANARY.vaultPassphrase;

it('narrows and widens a passphrase slot and a keychain slot; the header round-trips', async () => {
  await ready();
  const v = newVault(PASS, TEST_KDF);
  const bots = addScope(v.header, v.dataKey, 'bots');
  const ops = addScope(v.header, v.dataKey, 'ops');
  const kk = randomBytes(32);
  v.header.slots.push(makeKeychainSlot(v.header, v.dataKey, kk));
  const means = { passphrase: async () => PASS, keychainRead: async () => kk.slice() };

  expect(await grantScopes(v.header, v.header.slots[0]!, [bots], v.dataKey, means)).toBe(true);
  expect(await grantScopes(v.header, v.header.slots[1]!, [0, ops], v.dataKey, means)).toBe(true);
  const head = decodeHead(encodeHeader(v.header));
  const viaPass = unwrapWithPassphrase(head, PASS);
  expect([...viaPass.keys()]).toEqual([bots]);
  expect(Buffer.from(viaPass.get(bots)!).equals(Buffer.from(v.dataKey.get(bots)!))).toBe(true);
  const viaKc = unwrapWithKeychainKey(head, kk)!;
  expect([...viaKc.keys()]).toEqual([0, ops]);
  expect(Buffer.from(viaKc.get(ops)!).equals(Buffer.from(v.dataKey.get(ops)!))).toBe(true);
});

it('without the means for its key, a slot is left as it was', async () => {
  await ready();
  const v = newVault(PASS, TEST_KDF);
  const bots = addScope(v.header, v.dataKey, 'bots');
  const before = v.header.slots[0]!;
  expect(await grantScopes(v.header, before, [bots], v.dataKey, {})).toBe(false);
  expect(v.header.slots[0]).toBe(before);
});
