// The Linux kernel keyring (keyrings(7)), for `vault unlock --for`: a "user" key in the user
// keyring (@u) holds the unlocked key in kernel memory, with an expiry the kernel enforces
// (KEYCTL_SET_TIMEOUT): nothing is written to disk, and the key is gone after the timeout,
// `vault lock`, or a reboot. No npm package wraps keyctl, and glibc has no add_key/keyctl
// wrappers (libkeyutils does, not always installed), so the raw syscalls go through koffi's
// native part, as platform/core-dumps.ts calls libc. Loaded only when an unlock is cached,
// read or dropped. Errors never carry the library's text.
import { KeyringError } from '../errors';

const KEY_SPEC_USER_KEYRING = -4;
const KEYCTL_SETPERM = 5;
const KEYCTL_SEARCH = 10;
const KEYCTL_READ = 11;
const KEYCTL_SET_TIMEOUT = 15;
const KEYCTL_INVALIDATE = 21;
// Permissions: possessor may do everything; the owning user may view, read, write (update)
// and search (so a process whose session keyring does not link @u still finds and reads it);
// group and others nothing.
const PERM = 0x3f0f0000;
const ENOKEY = 126;
const EKEYEXPIRED = 127;
const EKEYREVOKED = 128;
const ENOSYS = 38;
const EPERM = 1;
const EACCES = 13;

const SYSCALLS: Record<string, { addKey: number; keyctl: number }> = {
  x64: { addKey: 248, keyctl: 250 },
  arm64: { addKey: 217, keyctl: 219 },
};

/** The item's description: names the vault by id, never by path. */
export function itemDescription(vaultIdHex: string): string {
  return `exvault:${vaultIdHex}`;
}

type Fn = (...args: unknown[]) => number | bigint;
type Koffi = {
  load(name: string | null): { func(decl: string): Fn };
  errno(): number;
};

interface Calls {
  koffi: Koffi;
  syscall: Fn;
  nr: { addKey: number; keyctl: number };
}

let calls: Calls | null | undefined;

function load(): Calls {
  if (calls === undefined) {
    calls = null;
    const nr = process.platform === 'linux' ? SYSCALLS[process.arch] : undefined;
    if (nr) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const req = require as NodeJS.Require;
      for (const abi of ['linux', 'musl']) {
        try {
          const koffi = req(`@koromix/koffi-linux-${process.arch}/${abi}_${process.arch}/koffi.node`) as Koffi;
          calls = { koffi, syscall: koffi.load(null).func('long syscall(long, ...)'), nr };
          break;
        } catch {
          // The other C library's build, or none.
        }
      }
    }
  }
  if (!calls) throw new KeyringError('the kernel keyring is available on Linux (x86-64 and arm64) only');
  return calls;
}

function fail(what: string, errno: number): never {
  if (errno === ENOSYS || errno === EPERM) throw new KeyringError(`the kernel keyring is not available here (${what} refused: a container's seccomp filter, or a kernel without keys)`);
  if (errno === EACCES) throw new KeyringError(`the kernel keyring refused access (${what})`);
  throw new KeyringError(`the kernel keyring failed (${what}, errno ${errno})`);
}

function num(v: number | bigint): number {
  return typeof v === 'bigint' ? Number(v) : v;
}

/** The key's serial number, or null when there is none (or it expired or was revoked). */
function search(c: Calls, description: string): number | null {
  const id = num(c.syscall(c.nr.keyctl, 'int', KEYCTL_SEARCH, 'int', KEY_SPEC_USER_KEYRING, 'const char *', 'user', 'const char *', description, 'int', 0));
  if (id >= 0) return id;
  const e = c.koffi.errno();
  if (e === ENOKEY || e === EKEYEXPIRED || e === EKEYREVOKED) return null;
  return fail('search', e);
}

/** Stores the bytes under the vault's description in @u, replacing any earlier one, expiring
 *  after `seconds`. Returns the key's serial number. */
export function storeKey(vaultIdHex: string, bytes: Uint8Array, seconds: number): number {
  const c = load();
  const description = itemDescription(vaultIdHex);
  // A fresh key each time (not an update of an old one, whose permissions another process of
  // the user may have widened).
  dropKey(vaultIdHex);
  const buf = Buffer.from(bytes);
  let id: number;
  try {
    id = num(c.syscall(c.nr.addKey, 'const char *', 'user', 'const char *', description, 'void *', buf, 'size_t', buf.length, 'int', KEY_SPEC_USER_KEYRING));
  } finally {
    buf.fill(0);
  }
  if (id < 0) fail('add_key', c.koffi.errno());
  // Timeout first: a key that cannot expire is not left behind.
  const ok = num(c.syscall(c.nr.keyctl, 'int', KEYCTL_SET_TIMEOUT, 'int', id, 'unsigned int', seconds)) === 0 && num(c.syscall(c.nr.keyctl, 'int', KEYCTL_SETPERM, 'int', id, 'unsigned int', PERM)) === 0;
  if (!ok) {
    const e = c.koffi.errno();
    c.syscall(c.nr.keyctl, 'int', KEYCTL_INVALIDATE, 'int', id);
    fail('setting its timeout and permissions', e);
  }
  return id;
}

/** The stored bytes, or null when there are none (never stored, expired, dropped). */
export function readKey(vaultIdHex: string, maxBytes = 4096): Uint8Array | null {
  const c = load();
  const id = search(c, itemDescription(vaultIdHex));
  if (id === null) return null;
  const buf = Buffer.alloc(maxBytes);
  const n = num(c.syscall(c.nr.keyctl, 'int', KEYCTL_READ, 'int', id, 'void *', buf, 'size_t', buf.length));
  if (n < 0) {
    const e = c.koffi.errno();
    if (e === ENOKEY || e === EKEYEXPIRED || e === EKEYREVOKED) return null;
    fail('read', e);
  }
  if (n > maxBytes) {
    buf.fill(0);
    return null; // Not ours: larger than anything the vault stores.
  }
  const out = new Uint8Array(buf.subarray(0, n));
  buf.fill(0);
  return out;
}

/** Invalidates the vault's key (the kernel drops it at once); false when there was none. */
export function dropKey(vaultIdHex: string): boolean {
  const c = load();
  const id = search(c, itemDescription(vaultIdHex));
  if (id === null) return false;
  if (num(c.syscall(c.nr.keyctl, 'int', KEYCTL_INVALIDATE, 'int', id)) !== 0) {
    const e = c.koffi.errno();
    if (e === ENOKEY || e === EKEYEXPIRED || e === EKEYREVOKED) return false;
    fail('invalidate', e);
  }
  return true;
}
