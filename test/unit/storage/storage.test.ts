import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BusyError, UsageError, VaultError } from '../../../src/errors';
import { writeFileAtomic } from '../../../src/storage/atomic-write';
import { acquireLock } from '../../../src/storage/lock';
import { appendVaultBytes, openVaultReader, readVaultBytes, writeVaultBytes } from '../../../src/storage/vault-store';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exvault-storage-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('append (format 2 updates)', () => {
  const setup = () => {
    const f = path.join(dir, 'vault.exv');
    writeVaultBytes(f, Buffer.from('first'));
    writeVaultBytes(f, Buffer.from('state'));
    return f;
  };
  const te = new TextEncoder();

  it('appends the body then the trailer after the state, and leaves the backup as it was', () => {
    const f = setup();
    const r = openVaultReader(f);
    expect(r.file.links).toBe(1);
    appendVaultBytes(f, r.file, r.size, [te.encode('-bo'), te.encode('dy')], te.encode('+T'));
    expect(fs.readFileSync(f, 'utf8')).toBe('state-body+T');
    expect(fs.readFileSync(`${f}.bak`, 'utf8')).toBe('first');
    expect(fs.readdirSync(dir).sort()).toEqual(['vault.exv', 'vault.exv.bak']);
  });

  it('cuts off what an unfinished update left after the state before appending', () => {
    const f = setup();
    fs.appendFileSync(f, 'half-an-upd');
    const r = openVaultReader(f);
    appendVaultBytes(f, r.file, 5, [te.encode('-new')], te.encode('+T'));
    expect(fs.readFileSync(f, 'utf8')).toBe('state-new+T');
  });

  it('refuses, changing nothing, when the file is not the one read (another size, another file)', () => {
    const f = setup();
    const r = openVaultReader(f);
    fs.appendFileSync(f, 'x');
    expect(() => appendVaultBytes(f, r.file, r.size, [te.encode('-new')], te.encode('+T'))).toThrow(/changed by something else.*nothing was changed/);
    expect(fs.readFileSync(f, 'utf8')).toBe('statex');
    const r2 = openVaultReader(f);
    writeVaultBytes(f, Buffer.from('other'));
    expect(() => appendVaultBytes(f, r2.file, r2.size, [te.encode('-new')], te.encode('+T'))).toThrow(/changed by something else/);
    expect(fs.readFileSync(f, 'utf8')).toBe('other');
  });

  it('refuses a file with a second name (a backup left as a hard link of it): appending would change both', () => {
    const f = setup();
    fs.rmSync(`${f}.bak`);
    fs.linkSync(f, `${f}.bak`);
    const r = openVaultReader(f);
    expect(r.file.links).toBe(2);
    expect(() => appendVaultBytes(f, r.file, r.size, [te.encode('-new')], te.encode('+T'))).toThrow(VaultError);
    expect(fs.readFileSync(`${f}.bak`, 'utf8')).toBe('state');
  });
});

describe('atomic write', () => {
  it('creates 0600 files and leaves no temp file behind', () => {
    const f = path.join(dir, 'v');
    writeFileAtomic(f, Buffer.from('one'));
    writeFileAtomic(f, Buffer.from('two'));
    expect(fs.readFileSync(f, 'utf8')).toBe('two');
    expect(mode(f)).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['v']);
  });

  it('keeps the previous vault as the backup', () => {
    const f = path.join(dir, 'vault.exv');
    writeVaultBytes(f, Buffer.from('first'));
    writeVaultBytes(f, Buffer.from('second'));
    expect(fs.readFileSync(`${f}.bak`, 'utf8')).toBe('first');
    writeVaultBytes(f, Buffer.from('third'));
    expect(fs.readFileSync(`${f}.bak`, 'utf8')).toBe('second');
    expect(mode(`${f}.bak`)).toBe(0o600);
    expect(fs.readdirSync(dir).sort()).toEqual(['vault.exv', 'vault.exv.bak']);
  });

  it("removes temp files of killed writers (the caller holds the lock), and no other file", () => {
    const f = path.join(dir, 'vault.exv');
    writeVaultBytes(f, Buffer.from('first'));
    const stale = ['.vault.exv.tmp-123-0a1b2c', 'vault.exv.bak.tmp-456', `.vault.exv.tmp-${process.pid}-ffffff`];
    const others = ['unrelated.tmp-1', '.other.exv.tmp-1-aa', 'vault.exv.audit'];
    for (const n of [...stale, ...others]) fs.writeFileSync(path.join(dir, n), 'x');
    writeVaultBytes(f, Buffer.from('second'));
    expect(fs.readdirSync(dir).sort()).toEqual([...others, 'vault.exv', 'vault.exv.bak'].sort());
  });

  it('leaves no temp link when the backup already is the current vault (a writer killed between its two renames)', () => {
    const f = path.join(dir, 'vault.exv');
    writeVaultBytes(f, Buffer.from('first'));
    // What a writer killed after "vault -> backup" but before "new -> vault" leaves behind.
    fs.rmSync(`${f}.bak`, { force: true });
    fs.linkSync(f, `${f}.bak`);
    writeVaultBytes(f, Buffer.from('second'));
    expect(fs.readdirSync(dir).sort()).toEqual(['vault.exv', 'vault.exv.bak']);
    expect(fs.readFileSync(`${f}.bak`, 'utf8')).toBe('first');
    expect(fs.readFileSync(f, 'utf8')).toBe('second');
  });

  it('creates a missing vault folder with mode 0700', () => {
    const f = path.join(dir, 'new', 'deeper', 'vault.exv');
    writeVaultBytes(f, Buffer.from('x'));
    expect(mode(path.dirname(f))).toBe(0o700);
  });
});

describe('vault file checks', () => {
  const f = () => path.join(dir, 'vault.exv');
  beforeEach(() => {
    fs.writeFileSync(f(), 'data', { mode: 0o600 });
    fs.chmodSync(dir, 0o700);
  });

  it('reads a private vault', () => expect(Buffer.from(readVaultBytes(f())).toString()).toBe('data'));

  it.each([0o640, 0o604, 0o660, 0o644])('refuses a vault with mode %o, with a chmod hint', (m) => {
    fs.chmodSync(f(), m);
    expect(() => readVaultBytes(f())).toThrow(UsageError);
    try {
      readVaultBytes(f());
    } catch (err) {
      expect((err as VaultError).hints).toEqual([`fix it with: chmod 600 ${f()}`]);
    }
  });

  it('refuses a folder others can write', () => {
    fs.chmodSync(dir, 0o777);
    expect(() => readVaultBytes(f())).toThrow(/writable by other users/);
  });

  it('refuses a symbolic link unless asked', () => {
    const link = path.join(dir, 'link.exv');
    fs.symlinkSync(f(), link);
    expect(() => readVaultBytes(link)).toThrow(/symbolic link/);
    expect(Buffer.from(readVaultBytes(link, { allowSymlink: true })).toString()).toBe('data');
  });

  it('refuses a huge file before reading it', () => {
    const big = path.join(dir, 'big.exv');
    const fd = fs.openSync(big, 'w', 0o600);
    // 64 GiB, sparse: a reader that tried to load it would fail on allocation, not with "too large".
    fs.ftruncateSync(fd, 64 * 1024 * 1024 * 1024);
    fs.closeSync(fd);
    expect(() => readVaultBytes(big)).toThrow(/too large/);
  });

  it('says how to create a vault when there is none', () => {
    expect(() => readVaultBytes(path.join(dir, 'none.exv'))).toThrow(/no vault at/);
  });
});

describe('lock', () => {
  const lockFile = () => path.join(dir, 'vault.exv.lock');

  it('is exclusive: a second taker waits, then gets it after release', async () => {
    const a = await acquireLock(lockFile());
    let bGot = false;
    const b = acquireLock(lockFile()).then((l) => {
      bGot = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(bGot).toBe(false);
    a.release();
    (await b).release();
    expect(bGot).toBe(true);
    expect(fs.existsSync(lockFile())).toBe(false);
  });

  it('times out with BusyError while a live process holds it', async () => {
    const holder = spawn('sleep', ['30']);
    fs.writeFileSync(lockFile(), JSON.stringify({ pid: holder.pid, start: null, token: 'other' }));
    try {
      await expect(acquireLock(lockFile(), 300)).rejects.toBeInstanceOf(BusyError);
      expect(fs.existsSync(lockFile())).toBe(true);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('takes over a lock whose holder was killed', async () => {
    const r = spawnSync('sh', ['-c', 'echo $$']);
    const deadPid = Number(r.stdout.toString().trim());
    fs.writeFileSync(lockFile(), JSON.stringify({ pid: deadPid, start: '1', token: 'dead' }));
    const l = await acquireLock(lockFile(), 1000);
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).pid).toBe(process.pid);
    l.release();
  });

  it('does not mistake a recycled pid for the holder', async () => {
    // Our own (live) pid, but with a start time that is not ours: the holder is gone.
    fs.writeFileSync(lockFile(), JSON.stringify({ pid: process.pid, start: '12345', token: 'old' }));
    const l = await acquireLock(lockFile(), 1000);
    l.release();
  });

  it('never lets two takers hold it at once (many racing takeovers)', async () => {
    const r = spawnSync('sh', ['-c', 'echo $$']);
    fs.writeFileSync(lockFile(), JSON.stringify({ pid: Number(r.stdout.toString().trim()), start: '1', token: 'dead' }));
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const l = await acquireLock(lockFile(), 5000);
        inside++;
        maxInside = Math.max(maxInside, inside);
        await new Promise((res) => setTimeout(res, 5));
        inside--;
        l.release();
      }),
    );
    expect(maxInside).toBe(1);
  });
});
