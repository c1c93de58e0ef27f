// In-memory ports for unit tests of the use cases (src/app/ports.ts): a clock that moves only
// when told, notices kept in arrays, a keychain in a Map, an audit log in an array, a child
// runner that records what it was given, and the vault file in memory (MemoryVaultStore).
// The format is not faked (its own tests cover it), nor are the audit log's files beside the
// vault (app/audit-writer.ts writes them itself): those still go to a temp folder.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuditError, BusyError, CorruptError, UsageError, VaultError } from '../../../src/errors';
import { AuditEvent } from '../../../src/domain/audit-chain';
import { KDF_ARGON2ID13, KDF_FLOOR, MAX_FILE_BYTES } from '../../../src/format/limits';
import type { AppContext, AuditLog, ChildRunner, Clock, Keychain, Notices, PassphraseSource, Program, RunHandle, RunRecord, RunRegistry, VaultLock, VaultReader, VaultStore } from '../../../src/app/ports';
import { initVault } from '../../../src/app/init';
import { Unlocker } from '../../../src/app/unlock';
import { CANARY } from '../../helpers/canary';

export class FixedClock implements Clock {
  constructor(public time = new Date('2026-01-01T12:00:00Z')) {}
  now(): Date {
    return new Date(this.time);
  }
  advanceDays(days: number): void {
    this.time = new Date(this.time.getTime() + days * 86_400_000);
  }
}

export class MemoryNotices implements Notices {
  readonly warnings: string[] = [];
  readonly infos: string[] = [];
  warn(message: string): void {
    this.warnings.push(message);
  }
  info(message: string): void {
    this.infos.push(message);
  }
}

export class MemoryKeychain implements Keychain {
  readonly backend = 'memory';
  readonly items = new Map<string, Uint8Array>();
  async read(account: string): Promise<Uint8Array | null> {
    const v = this.items.get(account);
    return v ? Uint8Array.from(v) : null;
  }
  async write(account: string, key: Uint8Array): Promise<void> {
    this.items.set(account, Uint8Array.from(key));
  }
  async remove(account: string): Promise<boolean> {
    return this.items.delete(account);
  }
}

/** Records events in order; `failFrom` makes the n-th record (1-based) and later ones fail. */
export class MemoryAuditLog implements AuditLog {
  readonly events: { seq: number; event: AuditEvent }[] = [];
  failFrom = Infinity;
  async recordRelease(_dataKey: Uint8Array, event: AuditEvent): Promise<number> {
    const seq = this.events.length + 1;
    if (seq >= this.failFrom) throw new AuditError('could not write the audit log (test): nothing was released');
    this.events.push({ seq, event });
    return seq;
  }
}

/**
 * The vault file and its copies in a Map of bytes (a write stores a copy, so a reader opened
 * before it still sees the old file, as a descriptor does after a rename). The locks are
 * checked, not only kept: a write or create without the writer lock throws, a second holder
 * waits as on disk (BusyError after the timeout) and is counted in `contended`, and
 * `maxHolders` would show two holders at once.
 */
export class MemoryVaultStore implements VaultStore {
  readonly files = new Map<string, Uint8Array>();
  readonly writes: Uint8Array[] = [];
  contended = 0;
  maxHolders = 0;
  private readonly held = new Map<'write' | 'rotate', number>();
  private readonly waiting = new Map<'write' | 'rotate', (() => void)[]>();
  constructor(readonly path: string) {}

  get backupPath(): string {
    return `${this.path}.bak`;
  }
  exists(): boolean {
    return this.files.has(this.path);
  }
  private current(): Uint8Array {
    const bytes = this.files.get(this.path);
    if (!bytes) throw new VaultError(`no vault at ${this.path}`, ['create one with: vault init', 'or point to yours with --vault PATH or EXVAULT_FILE']);
    if (bytes.length > MAX_FILE_BYTES) throw new CorruptError('the vault file is too large');
    return bytes;
  }
  read(): Uint8Array {
    return this.current().slice();
  }
  readStart(bytes: number): Uint8Array {
    return this.current().slice(0, bytes);
  }
  open(): VaultReader {
    const snapshot = this.current();
    return {
      size: snapshot.length,
      read(off, len) {
        if (off + len > snapshot.length) throw new CorruptError('the vault file is truncated');
        return snapshot.slice(off, off + len);
      },
    };
  }
  ensureFolder(): void {}
  private mustHoldWriter(what: string): void {
    if (!this.held.get('write')) throw new Error(`${what} without the writer lock`);
  }
  write(pieces: Uint8Array | readonly Uint8Array[]): { warnings: string[] } {
    this.mustHoldWriter('write');
    const bytes = pieces instanceof Uint8Array ? pieces : new Uint8Array(Buffer.concat(pieces));
    const was = this.files.get(this.path);
    if (was) this.files.set(this.backupPath, was);
    this.files.set(this.path, bytes.slice());
    this.writes.push(bytes.slice());
    return { warnings: [] };
  }
  create(bytes: Uint8Array): { warnings: string[] } {
    this.mustHoldWriter('create');
    if (this.exists()) throw new UsageError(`a vault already exists at ${this.path}`, ['use --vault PATH for a second vault']);
    this.files.set(this.path, bytes.slice());
    this.writes.push(bytes.slice());
    return { warnings: [] };
  }
  readBackup(): { file: string; bytes: Uint8Array } | null {
    const bytes = this.files.get(this.backupPath);
    return bytes ? { file: this.backupPath, bytes: bytes.slice() } : null;
  }
  async lock(which: 'write' | 'rotate', timeoutMs = 10_000): Promise<VaultLock> {
    if (this.held.get(which)) {
      this.contended++;
      await new Promise<void>((resolve, reject) => {
        const queue = this.waiting.get(which) ?? [];
        this.waiting.set(which, queue);
        const timer = setTimeout(() => {
          queue.splice(queue.indexOf(go), 1);
          reject(new BusyError('the vault is busy: another exvault command holds its lock'));
        }, timeoutMs);
        const go = () => {
          clearTimeout(timer);
          resolve();
        };
        queue.push(go);
      });
    }
    const holders = (this.held.get(which) ?? 0) + 1;
    this.held.set(which, holders);
    this.maxHolders = Math.max(this.maxHolders, holders);
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.held.set(which, this.held.get(which)! - 1);
        this.waiting.get(which)?.shift()?.();
      },
    };
  }
  copyKind(file: string): 'none' | 'link' | 'file' {
    return this.files.has(file) ? 'file' : 'none';
  }
  readCopy(file: string): Uint8Array | null {
    return this.files.get(file)?.slice() ?? null;
  }
  writeCopy(file: string, bytes: Uint8Array): { warnings: string[] } {
    this.files.set(file, bytes.slice());
    return { warnings: [] };
  }
}

/** Finds every program at /usr/bin/NAME unless told otherwise; runs nothing, returns `status`. */
export class RecordingRunner implements ChildRunner {
  readonly runs: { program: Program; env: Record<string, string>; secretVars: string[] }[] = [];
  missing = new Set<string>();
  constructor(public status = 0) {}
  find(command: string): { file: string } | { problem: 'not-found'; file: string } {
    return this.missing.has(command) ? { problem: 'not-found', file: command } : { file: `/usr/bin/${command}` };
  }
  async run(program: Program, env: Record<string, string>, secretVars: string[]): Promise<number> {
    this.runs.push({ program, env, secretVars });
    return this.status;
  }
  replace(): never {
    throw new Error('replace is not used in these tests');
  }
}

export interface TestVault {
  ctx: AppContext;
  dir: string;
  clock: FixedClock;
  notices: MemoryNotices;
  audit: MemoryAuditLog;
  keychain: MemoryKeychain;
  vault: MemoryVaultStore;
  runs: MemoryRuns;
  cleanup(): void;
}

/** A new vault in memory (KDF at its floor), with in-memory ports around it; its audit
 *  log's files go to a temp folder, where the vault's path points. */
/** Runs of vault exec held in memory: `begin` adds one for a made-up pid, `end` or `kill`
 *  takes it away; `live` answers what is left (or null, to stand for "cannot be told"). */
export class MemoryRuns implements RunRegistry {
  readonly runs: RunRecord[] = [];
  blind = false;
  private nextPid = 40_000;
  constructor(private readonly clock: Clock) {}
  begin(run: Omit<RunRecord, 'pid' | 'since'>): RunHandle & { pid: number } {
    const r: RunRecord = { pid: this.nextPid++, since: this.clock.now().toISOString(), ...run };
    this.runs.push(r);
    return { pid: r.pid, end: () => this.kill(r.pid) };
  }
  kill(pid: number): void {
    const at = this.runs.findIndex((r) => r.pid === pid);
    if (at !== -1) this.runs.splice(at, 1);
  }
  live(): RunRecord[] | null {
    return this.blind ? null : this.runs.map((r) => ({ ...r, entries: [...r.entries] }));
  }
}

export async function testVault(opts: { keychain?: boolean } = {}): Promise<TestVault> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exvault-app-'));
  const clock = new FixedClock();
  const notices = new MemoryNotices();
  const audit = new MemoryAuditLog();
  const keychain = new MemoryKeychain();
  const explicit: PassphraseSource = { describe: 'test passphrase', read: () => CANARY.vaultPassphrase };
  const vaultPath = path.join(dir, 'vault.exv');
  const vault = new MemoryVaultStore(vaultPath);
  const runs = new MemoryRuns(clock);
  const ctx: AppContext = {
    vaultPath,
    vault,
    unlocker: new Unlocker({ explicit, keychain, notices }),
    clock,
    notices,
    audit,
    runs,
  };
  await initVault(ctx, { alg: KDF_ARGON2ID13, ...KDF_FLOOR }, explicit, opts.keychain ? keychain : undefined, { allowWeakPassphrase: true });
  // What init said (the passphrase's strength) is not what the tests look at.
  notices.infos.length = 0;
  return { ctx, dir, clock, notices, audit, keychain, vault, runs, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
