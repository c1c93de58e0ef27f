// In-memory ports for unit tests of the use cases (src/app/ports.ts): a clock that moves only
// when told, notices kept in arrays, a keychain in a Map, an audit log in an array, a child
// runner that records what it was given. The vault file itself is real, in a temp folder:
// the store and the format are not faked (their own tests cover them).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuditError } from '../../../src/errors';
import { AuditEvent } from '../../../src/domain/audit-chain';
import { KDF_ARGON2ID13, KDF_FLOOR } from '../../../src/format/limits';
import type { AppContext, AuditLog, ChildRunner, Clock, Keychain, Notices, PassphraseSource, Program } from '../../../src/app/ports';
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
  cleanup(): void;
}

/** A new vault in a temp folder (KDF at its floor), with in-memory ports around it. */
export async function testVault(opts: { keychain?: boolean } = {}): Promise<TestVault> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exvault-app-'));
  const clock = new FixedClock();
  const notices = new MemoryNotices();
  const audit = new MemoryAuditLog();
  const keychain = new MemoryKeychain();
  const explicit: PassphraseSource = { describe: 'test passphrase', read: () => CANARY.vaultPassphrase };
  const ctx: AppContext = {
    vaultPath: path.join(dir, 'vault.exv'),
    store: {},
    unlocker: new Unlocker({ explicit, keychain, notices }),
    clock,
    notices,
    audit,
  };
  await initVault(ctx, { alg: KDF_ARGON2ID13, ...KDF_FLOOR }, explicit, opts.keychain ? keychain : undefined, { allowWeakPassphrase: true });
  // What init said (the passphrase's strength) is not what the tests look at.
  notices.infos.length = 0;
  return { ctx, dir, clock, notices, audit, keychain, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
