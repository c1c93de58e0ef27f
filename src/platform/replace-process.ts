// `vault exec --no-wrapper`: the vault process becomes the program (execve), as aws-vault
// and envchain do, so no second process holds the secrets. Node has process.execve from
// 22.15 and 23.11; a failed execve aborts Node instead of throwing, so the program is
// checked first (resolveCommand).

export const REPLACE_NEEDS = 'Node.js 22.15 (or 23.11) or later';

type Execve = (file: string, args: string[], env: Record<string, string>) => never;

export function canReplaceProcess(): boolean {
  return typeof (process as unknown as { execve?: Execve }).execve === 'function' && process.platform !== 'win32';
}

/**
 * Replaces this process with the program. Node leaves what it changed for itself in place
 * across execve; two things are put back so the program starts as from a shell:
 * - SIGPIPE and SIGXFSZ, which Node ignores (an ignored signal stays ignored after execve,
 *   a handled one is reset to the default): a handler is installed for each.
 * - Blocking mode on the standard streams Node made non-blocking (pipes).
 */
export function replaceProcess(file: string, argv: string[], env: Record<string, string>): never {
  for (const sig of ['SIGPIPE', 'SIGXFSZ'] as const) process.on(sig, () => undefined);
  for (const stream of [process.stdin, process.stdout, process.stderr]) {
    const handle = (stream as unknown as { _handle?: { setBlocking?: (on: boolean) => number } })._handle;
    handle?.setBlocking?.(true);
  }
  return (process as unknown as { execve: Execve }).execve(file, argv, env);
}
