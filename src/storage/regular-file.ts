// Opening a file whose path someone else may have chosen (an audit log handed in, an identity,
// a systemd credential): never following a symbolic link where asked, never blocking on a FIFO
// or a device (O_NONBLOCK: opening a FIFO for reading waits for a writer, forever), and
// checking on the open descriptor that it is a regular file, so a swap after a check changes
// nothing.
import * as fs from 'node:fs';
import { UsageError } from '../errors';
import { O_NOFOLLOW } from './atomic-write';

const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0;

export interface OpenedFile {
  fd: number;
  st: fs.Stats;
}

export interface RegularFileOptions {
  /** Follow a symbolic link (a path the user gave for their own file); default: refuse it. */
  follow?: boolean;
  /** Hints for a refusal. */
  hints?: string[];
}

/**
 * Opens `file` with `flags` (plus O_NONBLOCK, and O_NOFOLLOW unless `follow`); null when it is
 * not there and `flags` do not create it. A link (when not followed), a FIFO, a device or a
 * folder is refused with a one-line UsageError naming `what` and the path.
 */
export function openRegularFile(file: string, flags: number, what: string, opts: RegularFileOptions = {}): OpenedFile | null {
  const hints = opts.hints ?? [];
  let fd: number;
  try {
    fd = fs.openSync(file, flags | O_NONBLOCK | (opts.follow ? 0 : O_NOFOLLOW), 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !(flags & fs.constants.O_CREAT)) return null;
    if (code === 'ELOOP' && !opts.follow) throw new UsageError(`${what} ${file} is a symbolic link; refusing to follow it`, hints);
    throw err;
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new UsageError(`${what} ${file} is not a regular file; refusing to use it`, hints);
  }
  // O_NONBLOCK stays set: on a regular file it changes nothing.
  return { fd, st };
}
