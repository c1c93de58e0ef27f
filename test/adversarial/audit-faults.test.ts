// The audit log and its locks under injected faults (strace), from the outside review: a head
// write that fails during a release, a lock whose removal fails at release, audit new-chain
// failing at each step, and a failed-unlock record forged with a future date.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BINANCE_JSON, Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';
import { injectedCalls, injectInto } from '../helpers/faults';

let sb: Sandbox;
beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  expect((await sb.vaultCmd(['add', 'e1', '--exchange', 'binance'], { input: BINANCE_JSON })).code).toBe(0);
}, 120_000);
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

const env = () => ({ ...sb.env, EXVAULT_NO_CODE_CACHE: '1' });
const opts = () => ({ env: env(), cwd: sb.root, timeoutMs: 60_000, logFile: path.join(sb.root, 'tmp', 'strace.log') });
const log = () => `${sb.vault}.audit`;
const head = () => `${sb.vault}.audit-head`;
const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f) : null);
const same = (a: Buffer | null, b: Buffer | null) => (a === null ? b === null : b !== null && a.equals(b));

/** The vault and its audit files as they are, and a way to put them back. */
function saveState(): () => void {
  const files = [sb.vault, log(), head()].map((f) => [f, read(f)] as const);
  return () => {
    for (const [f, data] of files) {
      if (data === null) fs.rmSync(f, { force: true });
      else fs.writeFileSync(f, data, { mode: 0o600 });
    }
  };
}

it.each([
  ['rename', 'EIO', 'input/output error', /\.vault\.exv\.audit-head\.tmp-/],
  ['fsync', 'EIO', 'input/output error', /\.vault\.exv\.audit-head\.tmp-/],
  ['write', 'ENOSPC', 'no space left on device', /\.vault\.exv\.audit-head\.tmp-/],
] as const)('the audit head cannot be written during get (%s %s): exit 9 "%s", nothing released, the log cut back', async (syscall, errno, words, target) => {
  // A first release, so the head and log exist before the failing one.
  expect((await sb.vaultCmd(['get', 'e1', 'apiKey'], { reveals: true })).code).toBe(0);
  const restore = saveState();
  const logBefore = read(log());
  const headBefore = read(head());
  const args = ['--passphrase-file', sb.passFile, 'get', 'e1', 'apiKey'];
  const r = await injectInto(args, opts(), syscall, errno, (c) => c.find((x) => target.test(x.target)), restore);
  expect(injectedCalls(r).find((c) => c.main)!.target).toMatch(target);
  expect(r.code).toBe(9);
  expect(r.stderr.split('\n')[0]).toBe(`vault: error: could not write the audit head ${head()} (${words}): nothing was released`);
  expect(r.stdout).toBe('');
  expect(r.stdout + r.stderr).not.toContain(CANARY.apiKey);
  expect(same(read(log()), logBefore)).toBe(true);
  expect(same(read(head()), headBefore)).toBe(true);
  expect((await sb.vaultCmd(['audit', 'verify'])).code).toBe(0);
}, 240_000);

it('a lock whose removal fails at release does not block the same command later: exec records its exit at once', async () => {
  const restore = saveState();
  const args = ['--passphrase-file', sb.passFile, 'exec', 'e1', '--', '/bin/true'];
  // The first removal of the audit log's lock (after the release record) fails.
  const r = await injectInto(args, opts(), 'unlink', 'EIO', (c) => c.find((x) => x.target.endsWith('vault.exv.audit.lock')), restore);
  expect(injectedCalls(r).find((c) => c.main)!.target).toMatch(/vault\.exv\.audit\.lock$/);
  expect(r.stderr).not.toMatch(/busy|waited/);
  expect(r.code).toBe(0);
  const records = fs.readFileSync(log(), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  expect(records.slice(-2).map((x) => x.cmd)).toEqual(['exec', 'exec-exit']);
  expect(fs.existsSync(`${log()}.lock`)).toBe(false);
}, 240_000);

const dirOf = () => path.dirname(sb.vault);
/** Anything beside the vault but the vault, its backup, log and head: temp files, links, kept logs. */
// The run records' folder (vault exec) is the vault's own, as in faults.test.ts; a run that
// ended leaves nothing in it, so what is inside still counts.
const leftovers = () => {
  const runs = path.join(dirOf(), 'vault.exv.runs');
  const inRuns = fs.existsSync(runs) ? fs.readdirSync(runs).map((f) => `vault.exv.runs/${f}`) : [];
  return [...fs.readdirSync(dirOf()).filter((f) => !/^vault\.exv(\.bak|\.audit|\.audit-head|\.runs)?$/.test(f)), ...inRuns];
};

it.each([
  ['link', 'the old log (kept by a hard link)', (x: string) => x === log()],
  ['rename', 'the new log', (x: string) => /\/\.vault\.exv\.audit\.tmp-/.test(x)],
  ['rename', 'the new head', (x: string) => /\/\.vault\.exv\.audit-head\.tmp-/.test(x)],
  // The vault's new audit head goes in as an update appended to the file (no temp file and
  // rename since format 2's updates): its sync failing must cut the file back.
  ['fsync', 'the vault (its appended update)', (x: string) => x.endsWith(`</${sb.vault.replace(/^\//, '')}>`) || x.endsWith(`<${sb.vault}>`)],
] as const)('audit new-chain whose %s of %s fails (EIO): exit 9, nothing changed, nothing left behind', async (syscall, _what, target) => {
  expect((await sb.vaultCmd(['get', 'e1', 'apiKey'], { reveals: true })).code).toBe(0);
  const restore = saveState();
  const [vaultBefore, logBefore, headBefore] = [read(sb.vault), read(log()), read(head())];
  const args = ['--passphrase-file', sb.passFile, 'audit', 'new-chain'];
  const r = await injectInto(args, opts(), syscall, 'EIO', (c) => c.find((x) => target(x.target)), () => {
    restore();
    for (const f of leftovers()) fs.rmSync(path.join(dirOf(), f), { force: true });
  });
  expect(target(injectedCalls(r).find((c) => c.main)!.target)).toBe(true);
  expect(r.code).toBe(9);
  expect(r.stderr.split('\n')[0]).toMatch(/^vault: error: could not write .* \(input\/output error\): nothing was changed$/);
  expect(r.stderr).toMatch(/^vault: hint: /m);
  expect(same(read(sb.vault), vaultBefore)).toBe(true);
  expect(same(read(log()), logBefore)).toBe(true);
  expect(same(read(head()), headBefore)).toBe(true);
  expect(leftovers()).toEqual([]);
  expect((await sb.vaultCmd(['audit', 'verify'])).code).toBe(0);
}, 240_000);
