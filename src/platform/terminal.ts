// Whether a person is at the other end of a stream. Asked of the descriptor, so no stream
// object is made (making one puts a pipe in non-blocking mode, which an exec'd program
// would inherit).
import { isatty } from 'node:tty';

export const stdinIsTerminal = (): boolean => isatty(0);
export const stdoutIsTerminal = (): boolean => isatty(1);
export const stderrIsTerminal = (): boolean => isatty(2);
