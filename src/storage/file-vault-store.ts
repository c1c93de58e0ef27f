// The vault file on disk as one object (the VaultStore port of app/ports.ts): what
// vault-store.ts, lock.ts and atomic-write.ts do, bound to one vault path and its options.
// Nothing here decides anything of its own; the fault suites test those functions through it.
import * as fs from 'node:fs';
import { writeFileAtomic } from './atomic-write';
import { acquireLock, LOCK_TIMEOUT_MS } from './lock';
import { backupPath, lockPath, rotateLockPath, syncLockPath } from './paths';
import { appendVaultBytes, checkVaultWritable, createVaultFile, ensureVaultFolder, openVaultReader, readVaultBytes, readVaultStart, StoreOptions, vaultExists, writeVaultBytes } from './vault-store';

export function fileVaultStore(vaultPath: string, opts: StoreOptions = {}) {
  return {
    exists: () => vaultExists(vaultPath),
    read: () => readVaultBytes(vaultPath, opts),
    readStart: (bytes: number) => readVaultStart(vaultPath, bytes, opts),
    open: () => openVaultReader(vaultPath, opts),
    ensureFolder: () => ensureVaultFolder(vaultPath),
    checkWritable: () => checkVaultWritable(vaultPath, opts),
    write: (bytes: Uint8Array | readonly Uint8Array[]) => writeVaultBytes(vaultPath, bytes, opts),
    append: (at: { dev: number; ino: number; links: number; size: number }, end: number, body: readonly Uint8Array[], trailer: Uint8Array) => appendVaultBytes(vaultPath, at, end, body, trailer, opts),
    writerActive: () => fs.existsSync(lockPath(vaultPath)),
    create: (bytes: Uint8Array) => createVaultFile(vaultPath, bytes),
    readBackup() {
      const file = backupPath(vaultPath);
      return fs.existsSync(file) ? { file, bytes: readVaultBytes(file, opts) } : null;
    },
    lock: (which: 'write' | 'rotate' | 'sync', timeoutMs = LOCK_TIMEOUT_MS) =>
      acquireLock(which === 'write' ? lockPath(vaultPath) : which === 'rotate' ? rotateLockPath(vaultPath) : syncLockPath(vaultPath), timeoutMs),
    copyKind(file: string): 'none' | 'link' | 'file' {
      const st = fs.lstatSync(file, { throwIfNoEntry: false });
      return !st ? 'none' : st.isSymbolicLink() ? 'link' : 'file';
    },
    readCopy(file: string): Uint8Array | null {
      if (!fs.existsSync(file)) return null;
      return new Uint8Array(fs.readFileSync(file));
    },
    writeCopy: (file: string, bytes: Uint8Array, what: string) => writeFileAtomic(file, bytes, { what }),
  };
}
