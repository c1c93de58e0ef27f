// vault add as a use case: on a terminal the exchange and the permissions are asked for, the
// secret fields come from the reader only after the unlock; without one, no exchange is 7.
import { addNewEntry } from '../../../src/app/add';
import type { Prompter } from '../../../src/app/ports';
import { Unlocker } from '../../../src/app/unlock';
import { EXIT } from '../../../src/errors';
import { Secret } from '../../../src/domain/secret';
import { CANARY, findCanary } from '../../helpers/canary';
import { testVault, TestVault } from './fakes';

let v: TestVault;
beforeEach(async () => {
  v = await testVault();
});
afterEach(() => {
  expect(findCanary(v.notices.warnings.join('\n'))).toBeNull();
  v.cleanup();
});

const fields = async () => ({ apiKey: new Secret(CANARY.apiKey), apiSecret: new Secret(CANARY.apiSecret) });

it('without a terminal, a missing exchange is "a terminal is needed" (7) and nothing is read', async () => {
  let read = false;
  const r = addNewEntry(v.ctx, { name: 'bot', meta: {}, generatePassphrase: false }, async () => ((read = true), fields()));
  await expect(r).rejects.toMatchObject({ exitCode: EXIT.needTerminal });
  expect(read).toBe(false);
});

it('on a terminal: exchange asked first, fields read after, permissions asked last; a generated API passphrase is stored and returned', async () => {
  const asked: string[] = [];
  const prompter = {
    choose: async (message: string) => (asked.push(message), 'okx'),
    chooseMany: async (message: string, choices: { value: string }[]) => (asked.push(message), choices.slice(0, 2).map((c) => c.value)),
  } as unknown as Prompter;
  // Unlocked through the (in-memory) keychain: with a terminal, a passphrase would be derived in a worker.
  v.cleanup();
  v = await testVault({ keychain: true });
  const ctx = { ...v.ctx, unlocker: new Unlocker({ keychain: v.keychain, prompter }) };
  const { entry, generated } = await addNewEntry(ctx, { name: 'grid', meta: { ips: ['203.0.113.7'] }, generatePassphrase: true }, async (exchange, skip) => {
    asked.push(`fields of ${exchange} without ${skip.join(',')}`);
    return fields();
  });
  expect(asked).toEqual(['Exchange', 'fields of okx without passphrase', 'Permissions of this key on OKX (space to select)']);
  expect(entry.exchange).toBe('okx');
  expect(entry.permissions).toHaveLength(2);
  expect(generated).toMatch(/^.{24}$/);
  expect(entry.secrets.passphrase!.reveal()).toBe(generated);
});
