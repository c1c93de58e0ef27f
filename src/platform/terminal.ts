// Whether a person is at the other end of a stream.
export const stdinIsTerminal = (): boolean => process.stdin.isTTY === true;
export const stdoutIsTerminal = (): boolean => process.stdout.isTTY === true;
export const stderrIsTerminal = (): boolean => process.stderr.isTTY === true;
