// Whether a person is at the other end of a stream. Asked of the descriptor, so no stream
// object is made (making one puts a pipe in non-blocking mode, which an exec'd program
// would inherit).
import * as fs from 'node:fs';
import { isatty } from 'node:tty';

export const stdinIsTerminal = (): boolean => isatty(0);
export const stdoutIsTerminal = (): boolean => isatty(1);
export const stderrIsTerminal = (): boolean => isatty(2);

/**
 * The descriptor is the null device: what is written there is gone, so masking it would
 * protect nothing (vault exec then spares the program the pipe). Unix only; false elsewhere
 * or when unsure.
 */
export function isNullDevice(fd: number): boolean {
  if (process.platform === 'win32') return false;
  try {
    const st = fs.fstatSync(fd);
    return st.isCharacterDevice() && st.rdev === fs.statSync('/dev/null').rdev;
  } catch {
    return false;
  }
}
