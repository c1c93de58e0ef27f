// Format 2 through the CLI: a format 1 vault is read, refused for writes (exit 5, naming
// `vault upgrade`), and upgraded with a verified copy of the old file; scopes group entries
// under their own keys; one entry is read without opening the others.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeFile } from '../../src/format/header';
import { openV2, unwrapWithPassphrase, VaultKeys } from '../../src/format/seal';
import { ready } from '../../src/crypto/sodium';
import { parseVector } from '../vectors/generate';
import { BINANCE_JSON, OKX_JSON, Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';

let sb: Sandbox;
beforeAll(async () => {
  await ready();
  sb = new Sandbox();
});
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

describe('upgrade from format 1', () => {
  const vector = parseVector(fs.readFileSync(path.join(__dirname, '../vectors/success.txt'), 'utf8'));
  let vault: string;
  let pass: string;
  let run: (args: string[], input?: string) => ReturnType<Sandbox['run']>;
  beforeAll(() => {
    const dir = path.join(sb.root, 'home', 'v1');
    fs.mkdirSync(dir, { mode: 0o700 });
    vault = path.join(dir, 'vault.exv');
    fs.writeFileSync(vault, vector.file, { mode: 0o600 });
    pass = sb.secretFile('v1.pass', vector.fields.passphrase!);
    run = (args, input) => sb.run(['--vault', vault, '--passphrase-file', pass, ...args], { ...(input && { input }) });
  });

  it('reads a format 1 vault, refuses to write it with exit 5 naming vault upgrade, and leaves it as it was', async () => {
    const list = await run(['list', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((e: { name: string }) => e.name)).toEqual(['binance-main']);
    const add = await run(['add', 'okx', '--exchange', 'okx'], OKX_JSON);
    expect(add.code).toBe(5);
    expect(add.stderr).toMatch(/^vault: error: this vault is in format 1.*\nvault: hint: .*vault upgrade/);
    expect(fs.readFileSync(vault).equals(Buffer.from(vector.file))).toBe(true);
  });

  it('upgrade: same entries, format 2 on disk, the v1 copy identical to the old bytes', async () => {
    const before = JSON.parse((await run(['list', '--json'])).stdout);
    const up = await run(['upgrade']);
    expect(up.code).toBe(0);
    expect(up.stderr + up.stdout).toMatch(/converted to format 2 \(1 entry\)/);
    expect(fs.readFileSync(`${vault}.v1.bak`).equals(Buffer.from(vector.file))).toBe(true);
    const bytes = new Uint8Array(fs.readFileSync(vault));
    expect(decodeFile(bytes).header.version).toBe(2);
    expect(JSON.parse((await run(['list', '--json'])).stdout)).toEqual(before);
    const get = await sb.run(['--vault', vault, '--passphrase-file', pass, 'get', 'binance-main', 'apiKey'], { reveals: true });
    expect(get.code).toBe(0);
    expect(get.stdout.trim()).toBe('vectorKey0000000000000000000000000000000000000000000000000000000');
    // Writes work now; a second upgrade has nothing to do.
    expect((await run(['add', 'okx', '--exchange', 'okx'], OKX_JSON)).code).toBe(0);
    const again = await run(['upgrade']);
    expect(again.code).toBe(0);
    expect(again.stderr + again.stdout).toMatch(/already is in format 2/);
    expect(fs.readFileSync(`${vault}.v1.bak`).equals(Buffer.from(vector.file))).toBe(true);
  });

  it('a wrong passphrase upgrades nothing (exit 3)', async () => {
    const dir = path.join(sb.root, 'home', 'v1b');
    fs.mkdirSync(dir, { mode: 0o700 });
    const v = path.join(dir, 'vault.exv');
    fs.writeFileSync(v, vector.file, { mode: 0o600 });
    const wrong = sb.secretFile('wrong.pass', 'not the passphrase at all');
    const r = await sb.run(['--vault', v, '--passphrase-file', wrong, 'upgrade']);
    expect(r.code).toBe(3);
    expect(fs.readFileSync(v).equals(Buffer.from(vector.file))).toBe(true);
    expect(fs.existsSync(`${v}.v1.bak`)).toBe(false);
  });
});

describe('scopes and single entries', () => {
  beforeAll(async () => {
    await sb.init();
    expect((await sb.vaultCmd(['add', 'okx-main', '--exchange', 'okx'], { input: OKX_JSON })).code).toBe(0);
  });

  const keysOf = (): VaultKeys => unwrapWithPassphrase(decodeFile(new Uint8Array(fs.readFileSync(sb.vault))), CANARY.vaultPassphrase);
  const scopeOfEntry = (name: string): number | undefined => {
    const parsed = decodeFile(new Uint8Array(fs.readFileSync(sb.vault)));
    return openV2(parsed, keysOf()).find(name)?.scope;
  };

  it('scope add, add --scope, scope list, scope set: entries sealed under the scope key', async () => {
    expect((await sb.vaultCmd(['scope', 'add', 'bots'])).code).toBe(0);
    expect((await sb.vaultCmd(['scope', 'add', 'bots'])).code).toBe(2);
    expect((await sb.vaultCmd(['add', 'bin-bot', '--exchange', 'binance', '--scope', 'bots'], { input: BINANCE_JSON })).code).toBe(0);
    expect((await sb.vaultCmd(['add', 'bin-x', '--exchange', 'binance', '--scope', 'nope'], { input: BINANCE_JSON })).code).toBe(4);
    expect(scopeOfEntry('bin-bot')).toBe(1);
    expect(scopeOfEntry('okx-main')).toBe(0);
    expect([...keysOf().keys()]).toEqual([0, 1]);
    expect((await sb.vaultCmd(['scope', 'set', 'okx-main', 'bots'])).code).toBe(0);
    expect(scopeOfEntry('okx-main')).toBe(1);
    const list = await sb.vaultCmd(['scope', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([{ schema: 1, id: 0, name: 'default', entries: 0 }, { schema: 1, id: 1, name: 'bots', entries: 2 }]);
    expect((await sb.vaultCmd(['scope', 'set', 'okx-main', 'default'])).code).toBe(0);
    expect(scopeOfEntry('okx-main')).toBe(0);
    expect(JSON.parse((await sb.vaultCmd(['list', '--json'])).stdout).map((e: { name: string }) => e.name)).toEqual(['bin-bot', 'okx-main']);
  });

  it("get and exec of one entry open that entry's record only; list opens all and refuses a damaged one", async () => {
    const bytes = new Uint8Array(fs.readFileSync(sb.vault));
    const row = openV2(decodeFile(bytes), keysOf()).find('bin-bot')!.row;
    const damaged = Buffer.from(bytes);
    damaged[row.off + row.len - 1]! ^= 1;
    fs.writeFileSync(sb.vault, damaged);
    try {
      const get = await sb.vaultCmd(['get', 'okx-main', 'apiKey'], { reveals: true });
      expect(get.code).toBe(0);
      expect(get.stdout.trim()).toBe(CANARY.apiKey);
      const exec = await sb.vaultCmd(['exec', 'okx-main', '--', process.execPath, '-e', 'process.exit(Object.keys(process.env).some((k) => k.startsWith("OKX_")) ? 0 : 9)']);
      expect(exec.code).toBe(0);
      expect((await sb.vaultCmd(['get', 'bin-bot', 'apiKey'], { reveals: true })).code).toBe(3);
      expect((await sb.vaultCmd(['list'])).code).toBe(3);
    } finally {
      fs.writeFileSync(sb.vault, bytes);
    }
  });

  it("a damaged record never reaches a new file or the backup: an update leaves it where it is, a whole rewrite stops (exit 5, naming the entry) leaving vault and backup as they were, and rm --yes removes the entry", async () => {
    expect((await sb.vaultCmd(['add', 'doomed', '--exchange', 'binance'], { input: BINANCE_JSON })).code).toBe(0);
    // A new scope changes the header: the file is written whole, so the next change is an update.
    expect((await sb.vaultCmd(['scope', 'add', 'spare'])).code).toBe(0);
    const good = new Uint8Array(fs.readFileSync(sb.vault));
    expect(decodeFile(good).header.state).toMatchObject({ base: good.length, end: good.length, torn: 0 });
    const row = openV2(decodeFile(good), keysOf()).find('doomed')!.row;
    const damaged = Buffer.from(good);
    damaged[row.off + 30]! ^= 1;
    fs.writeFileSync(sb.vault, damaged);
    const backup = fs.readFileSync(`${sb.vault}.bak`);
    // A change of the header (a new scope) rewrites the file whole: it carries every record, so it stops.
    const wholeRewriteStops = async () => {
      const before = fs.readFileSync(sb.vault);
      const r = await sb.vaultCmd(['scope', 'add', 'spare2']);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/^vault: error: the stored record of the entry "doomed" does not match the vault.s index/m);
      expect(fs.readFileSync(sb.vault).equals(before)).toBe(true);
      expect(fs.readFileSync(`${sb.vault}.bak`).equals(backup)).toBe(true);
    };
    await wholeRewriteStops();
    // An update appends and copies nothing: the damaged bytes stay where they were, still
    // refused when read; the backup (the file before the last whole rewrite) is not touched.
    expect((await sb.vaultCmd(['add', 'other', '--exchange', 'binance'], { input: BINANCE_JSON })).code).toBe(0);
    const now = fs.readFileSync(sb.vault);
    expect(now.length).toBeGreaterThan(damaged.length);
    expect(now.subarray(0, damaged.length).equals(damaged)).toBe(true);
    expect(decodeFile(new Uint8Array(now)).header.state).toMatchObject({ base: damaged.length, end: now.length, torn: 0 });
    expect(fs.readFileSync(`${sb.vault}.bak`).equals(backup)).toBe(true);
    expect((await sb.vaultCmd(['get', 'doomed', 'apiKey'], { reveals: true })).code).toBe(3);
    await wholeRewriteStops();
    // Removing it needs only the index; rm writes the file whole, so its record leaves the file.
    expect((await sb.vaultCmd(['rm', 'doomed', '--yes'])).code).toBe(0);
    const removed = fs.readFileSync(sb.vault);
    expect(decodeFile(new Uint8Array(removed)).header.state).toMatchObject({ base: removed.length, end: removed.length });
    expect(removed.includes(damaged.subarray(row.off, row.off + row.len))).toBe(false);
    expect((await sb.vaultCmd(['rm', 'other', '--yes'])).code).toBe(0);
    expect(JSON.parse((await sb.vaultCmd(['list', '--json'])).stdout).map((e: { name: string }) => e.name)).toEqual(['bin-bot', 'okx-main']);
  });

  it('an update a crash cut short: commands read the state before it and say so, the next write removes it', async () => {
    const before = fs.readFileSync(sb.vault);
    const list = (await sb.vaultCmd(['list', '--json'])).stdout;
    // What a writer killed before its trailer leaves: the start of an update after the state.
    fs.appendFileSync(sb.vault, Buffer.concat([Buffer.from('EXVUPDAT'), Buffer.alloc(300, 7)]));
    const r = await sb.vaultCmd(['list', '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(list);
    expect(r.stderr).toMatch(/^vault: warning: the vault file ends with 308 bytes of a change that was never finished/m);
    expect((await sb.vaultCmd(['edit', 'okx-main', '--label', 'after-crash'])).code).toBe(0);
    const now = new Uint8Array(fs.readFileSync(sb.vault));
    expect(decodeFile(now).header.state!.torn).toBe(0);
    // Appended in place of the unfinished bytes, or written whole: either way they are gone.
    expect(Buffer.from(now).includes(Buffer.alloc(300, 7))).toBe(false);
    expect(Buffer.from(now.subarray(0, before.length)).equals(before) || decodeFile(now).header.state!.end === decodeFile(now).header.state!.base).toBe(true);
    const after = await sb.vaultCmd(['list']);
    expect(after.stderr).not.toMatch(/never finished/);
  });

  it('rename keeps the entry in its scope, with its id and the next generation', async () => {
    const before = openV2(decodeFile(new Uint8Array(fs.readFileSync(sb.vault))), keysOf()).find('bin-bot')!;
    expect((await sb.vaultCmd(['rename', 'bin-bot', 'bin-grid'])).code).toBe(0);
    const after = openV2(decodeFile(new Uint8Array(fs.readFileSync(sb.vault))), keysOf()).find('bin-grid')!;
    expect(after.scope).toBe(before.scope);
    expect(Buffer.from(after.row.id).equals(Buffer.from(before.row.id))).toBe(true);
    expect(after.row.gen).toBe(before.row.gen + 1);
    expect((await sb.vaultCmd(['rename', 'bin-grid', 'bin-bot'])).code).toBe(0);
  });

  it('a write copies the records of entries it did not change, byte for byte', async () => {
    const before = new Uint8Array(fs.readFileSync(sb.vault));
    const rowB = openV2(decodeFile(before), keysOf()).find('bin-bot')!.row;
    expect((await sb.vaultCmd(['edit', 'okx-main', '--label', 'changed'])).code).toBe(0);
    const after = new Uint8Array(fs.readFileSync(sb.vault));
    const v2 = openV2(decodeFile(after), keysOf());
    const rowA = v2.find('bin-bot')!.row;
    expect(Buffer.from(after.subarray(rowA.off, rowA.off + rowA.len)).equals(Buffer.from(before.subarray(rowB.off, rowB.off + rowB.len)))).toBe(true);
    expect(rowA.gen).toBe(rowB.gen);
    expect(Buffer.from(rowA.id).equals(Buffer.from(rowB.id))).toBe(true);
    // The changed entry keeps its id and moves to its next generation.
    const okx = v2.find('okx-main')!.row;
    expect(okx.gen).toBeGreaterThan(1);
  });
});
