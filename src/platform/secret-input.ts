// Reading secret material from files and file descriptors, with a size cap so a wrong
// path (a log, a device) cannot make us read gigabytes. Errors name the source, never content.
import * as fs from 'node:fs';
import { UsageError } from '../errors';

/**
 * Who may have touched a file before we trust it (checked on the open descriptor, so a swap
 * between a check and the open changes nothing). 'secret': as ssh with a private key, only
 * we (or root) own it and nobody else may read or write it; a root-owned file whose group is
 * root may be group-readable (systemd's LoadCredential= grants the service user read access
 * with an ACL, which shows as group bits). 'trusted': another user cannot have chosen its
 * content: ours or root's, and nobody else may write it.
 */
export type FileTrust = 'secret' | 'trusted';

function checkTrust(fd: number, name: string, what: string, trust: FileTrust): void {
  const st = fs.fstatSync(fd);
  // A pipe or a terminal given as a descriptor has no owner to speak of.
  if (!st.isFile()) return;
  const me = typeof process.getuid === 'function' ? process.getuid() : st.uid;
  if (st.uid !== me && st.uid !== 0) {
    throw new UsageError(`${what} ${name} belongs to another user (uid ${st.uid}) and is refused`, [`use a file of your own: cp it, then chmod 600 it`]);
  }
  const groupMayRead = trust === 'trusted' || (st.uid === 0 && st.gid === 0);
  const forbidden = trust === 'secret' ? (groupMayRead ? 0o026 : 0o066) : 0o022;
  if ((st.mode & forbidden) !== 0) {
    const how = trust === 'secret' ? 'readable or writable by others' : 'writable by others';
    throw new UsageError(`${what} ${name} is ${how} (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}) and is refused`, [`fix it with: chmod ${trust === 'secret' ? '600' : 'go-w'} ${/^(file descriptor|standard input)/.test(name) ? `FILE (the file open on ${name})` : name}`]);
  }
}

/** What standard input was read for: it can be read only once per process, and a second
 *  reader (--passphrase-file - with JSON piped to add) would get nothing, or the wrong thing. */
let stdinReadFor: string | undefined;

/** A file's bytes, capped. "-" is standard input, as for most Unix tools (a file named "-": ./-).
 *  `label` names a descriptor the caller opened itself (its path) in messages. */
export function readCapped(source: string | number, maxBytes: number, what: string, trust?: FileTrust, label?: string): Buffer {
  if (source === '-') {
    if (process.stdin.isTTY) throw new UsageError(`${what} "-" is standard input, which is a terminal here`, ['pipe or redirect it: ... < FILE']);
    source = 0;
  }
  if (source === 0) {
    if (stdinReadFor !== undefined) throw new UsageError(`standard input was already read for the ${stdinReadFor}; it cannot also give the ${what}`, ['give one of them a file instead of -']);
    stdinReadFor = what;
  }
  const name = source === 0 ? 'standard input' : typeof source === 'number' ? (label ?? `file descriptor ${source}`) : source;
  let fd: number;
  try {
    fd = typeof source === 'number' ? source : fs.openSync(source, 'r');
  } catch (err) {
    throw new UsageError(`cannot open ${what} ${name} (${(err as NodeJS.ErrnoException).code ?? 'i/o error'})`);
  }
  if (trust) {
    try {
      checkTrust(fd, name, what, trust);
    } catch (err) {
      if (typeof source !== 'number') fs.closeSync(fd);
      throw err;
    }
  }
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(64 * 1024);
  let total = 0;
  try {
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue;
        if (code === 'EOF') break;
        throw new UsageError(`cannot read ${what} ${name} (${code ?? 'i/o error'})`);
      }
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw new UsageError(`${what} ${name} is larger than ${maxBytes} bytes`);
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks);
  } finally {
    // The read buffers held the secret too; only the returned copy is left to its caller.
    buf.fill(0);
    for (const c of chunks) c.fill(0);
    // A descriptor passed in by number belongs to the caller.
    if (typeof source !== 'number') fs.closeSync(fd);
  }
}

/** One passphrase: the file's text without a single trailing newline (as `echo` writes it). */
export function readPassphrase(source: string | number): string {
  const raw = readCapped(source, 4096, typeof source === 'number' ? 'passphrase' : 'passphrase file', 'secret');
  const text = raw.toString('utf8');
  raw.fill(0);
  const pass = text.replace(/\r?\n$/, '');
  if (!pass) throw new UsageError(`the passphrase from ${typeof source === 'number' ? `file descriptor ${source}` : source === '-' ? 'standard input' : source} is empty`);
  return pass;
}
