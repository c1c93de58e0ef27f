// Reading secret material from files and file descriptors, with a size cap so a wrong
// path (a log, a device) cannot make us read gigabytes. Errors name the source, never content.
import * as fs from 'node:fs';
import { UsageError } from '../errors';

export function readCapped(source: string | number, maxBytes: number, what: string): Buffer {
  const name = typeof source === 'number' ? `file descriptor ${source}` : source;
  let fd: number;
  try {
    fd = typeof source === 'number' ? source : fs.openSync(source, 'r');
  } catch (err) {
    throw new UsageError(`cannot open ${what} ${name} (${(err as NodeJS.ErrnoException).code ?? 'i/o error'})`);
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
  const raw = readCapped(source, 4096, 'passphrase');
  const text = raw.toString('utf8');
  raw.fill(0);
  const pass = text.replace(/\r?\n$/, '');
  if (!pass) throw new UsageError(`the passphrase from ${typeof source === 'number' ? `file descriptor ${source}` : source} is empty`);
  return pass;
}
