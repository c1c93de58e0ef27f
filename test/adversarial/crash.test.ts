// Crash safety: kill -9 at random moments during add, rotate (through its hooks) and passwd.
// After every kill the vault opens and holds the old or the new state, never a mix and never
// nothing, and the backup opens too. CI size 200 kills; `--long` 10,000.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AuthError } from '../../src/errors';
import { VaultDoc } from '../../src/domain/document';
import { CANARY } from '../helpers/canary';
import { BINANCE_JSON, OKX_JSON, Sandbox } from '../helpers/cli';
import { openVaultFile, randomDelay, size, timeLimit } from '../helpers/adversarial';

const KILLS = size(200, 10_000);
const HOOK = `${process.execPath} ${path.resolve(__dirname, '../fixtures/rotate-hook.js')}`;
const OTHER_PASSPHRASE = 'the other passphrase of the crash loop 5521';

let sb: Sandbox;
const pass: Record<string, { file: string; value: string }> = {};
beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  pass.a = { file: sb.passFile, value: CANARY.vaultPassphrase };
  pass.b = { file: sb.secretFile('pass-b', `${OTHER_PASSPHRASE}\n`), value: OTHER_PASSPHRASE };
  expect((await sb.vaultCmd(['add', 'rot', '--exchange', 'bitmex'], { input: BINANCE_JSON })).code).toBe(0);
  expect((await sb.vaultCmd(['edit', 'rot', '--rotate-hook', `${HOOK} rotate`, '--revoke-hook', `${HOOK} revoke`])).code).toBe(0);
});
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

const secretsOf = (doc: VaultDoc, name: string) => Object.fromEntries(Object.entries(doc.entries.get(name)!.secrets).map(([k, v]) => [k, v.reveal()]));

/** The vault opened with whichever of the two passphrases opens it, and which one that was. */
async function openEither(file: string, first: 'a' | 'b'): Promise<{ doc: VaultDoc; with: 'a' | 'b' }> {
  const second = first === 'a' ? 'b' : 'a';
  try {
    return { doc: await openVaultFile(file, pass[first]!.value), with: first };
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    return { doc: await openVaultFile(file, pass[second]!.value), with: second };
  }
}

it(`kill -9 at random moments during add, rotate and passwd (${KILLS} kills): old or new state, backup opens`, async () => {
  let current: 'a' | 'b' = 'a';
  let state = await openVaultFile(sb.vault, pass.a!.value);
  const run = (args: string[], input?: string) => sb.start(['--passphrase-file', pass[current]!.file, ...args], { input });
  const timed = async (args: string[], input?: string) => {
    const t0 = Date.now();
    expect((await run(args, input).done).code).toBe(0);
    return Date.now() - t0;
  };
  // How long each command takes when left alone, measured again every 50 kills (the machine's
  // load changes, and with it where the commit falls): kills are spread over [0, 1.5 x that].
  const duration = { add: 0, rotate: 0, passwd: 0 };
  const calibrate = async (round: number) => {
    duration.add = await timed(['add', `calibrate${round}`, '--exchange', 'okx'], OKX_JSON);
    duration.rotate = await timed(['rotate', 'rot']);
    const next = current === 'a' ? 'b' : 'a';
    duration.passwd = await timed(['passwd', '--new-passphrase-file', pass[next]!.file]);
    current = next;
    state = await openVaultFile(sb.vault, pass[current]!.value);
  };
  const outcomes = { add: { old: 0, new: 0 }, rotate: { old: 0, new: 0 }, passwd: { old: 0, new: 0 } };

  for (let i = 0; i < KILLS; i++) {
    if (i % 50 === 0) await calibrate(i / 50);
    const kind = (['add', 'add', 'add', 'add', 'rotate', 'rotate', 'rotate', 'passwd', 'passwd', 'passwd'] as const)[i % 10]!;
    const next: 'a' | 'b' = current === 'a' ? 'b' : 'a';
    const args = kind === 'add' ? ['add', `k${i}`, '--exchange', 'okx'] : kind === 'rotate' ? ['rotate', 'rot'] : ['passwd', '--new-passphrase-file', pass[next]!.file];
    const { child, done } = run(args, kind === 'add' ? OKX_JSON : undefined);
    await randomDelay(duration[kind] * 1.5);
    child.kill('SIGKILL');
    await done;

    const after = await openEither(sb.vault, current);
    const names = [...after.doc.entries.keys()].sort();
    const before = [...state.entries.keys()].sort();
    let isNew: boolean;
    if (kind === 'add') {
      isNew = names.length !== before.length;
      expect(names).toEqual(isNew ? [...before, `k${i}`].sort() : before);
      expect(after.with).toBe(current);
    } else if (kind === 'rotate') {
      const v0 = state.entries.get('rot')!.version ?? 1;
      const v1 = after.doc.entries.get('rot')!.version ?? 1;
      isNew = v1 !== v0;
      expect(names).toEqual(before);
      if (isNew) {
        expect(v1).toBe(v0 + 1);
        // The previous credential is kept as a history version, byte for byte.
        const prev = after.doc.entries.get('rot')!.history!.find((v) => v.n === v0)!;
        expect(Object.fromEntries(Object.entries(prev.secrets).map(([k, v]) => [k, v.reveal()]))).toEqual(secretsOf(state, 'rot'));
        expect(secretsOf(after.doc, 'rot')).not.toEqual(secretsOf(state, 'rot'));
      } else {
        expect(secretsOf(after.doc, 'rot')).toEqual(secretsOf(state, 'rot'));
      }
    } else {
      isNew = after.with === next;
      expect(names).toEqual(before);
      expect(secretsOf(after.doc, 'rot')).toEqual(secretsOf(state, 'rot'));
      if (isNew) current = next;
    }
    outcomes[kind][isNew ? 'new' : 'old']++;
    // The backup is always a complete earlier vault, under one of the two passphrases.
    if (fs.existsSync(`${sb.vault}.bak`)) await openEither(`${sb.vault}.bak`, current);
    state = after.doc;
  }

  // Kills landed on both sides of the commit of every command.
  for (const kind of ['add', 'rotate', 'passwd'] as const) {
    expect(outcomes[kind].old).toBeGreaterThan(0);
    expect(outcomes[kind].new).toBeGreaterThan(0);
  }
  // A later writer takes over any lock a killed one left and clears its temp files (the
  // vault's by a vault writer, the audit log's by the next release it records); the audit
  // chain survived every kill.
  expect((await run(['add', 'after-crashes', '--exchange', 'okx'], OKX_JSON).done).code).toBe(0);
  expect((await run(['exec', 'after-crashes', '--', 'true']).done).code).toBe(0);
  const left = fs.readdirSync(path.dirname(sb.vault)).filter((f) => !['vault.exv', 'vault.exv.bak', 'vault.exv.audit', 'vault.exv.audit-head', 'vault.exv.runs'].includes(f));
  expect(left).toEqual([]);
  // The exec's run record went with its end (none of the killed rotations ran a bot).
  expect(fs.readdirSync(`${sb.vault}.runs`)).toEqual([]);
  // A rotation killed after its journal note and before its new key was stored is resumed
  // by the next cron run; after it no journal is left and nothing waits.
  expect((await run(['rotate', '--due', '--yes']).done).code).toBe(0);
  expect((await openVaultFile(sb.vault, pass[current]!.value)).entries.get('rot')!.rotating).toBeUndefined();
  const verify = await run(['audit', 'verify']).done;
  expect(verify.code).toBe(0);
  process.stderr.write(`crash loop: ${KILLS} kills; ${JSON.stringify(outcomes)}\n`);
}, timeLimit(600_000));
