// The run of one command, shared by both entries (main.ts: every command; exec-main.ts: exec
// alone): process-wide guards first, then the program built from the given commands, and every
// outcome turned into one exit status.
import { Command, CommanderError, Option } from 'commander';
import { EXIT, UsageError } from '../errors';
import type { Invocation } from './context';
import { configureOutput, exitsOnBrokenPipe, outputFailure, renderError, syncStdout } from './render';
import { moduleLoadError, storageError } from '../storage/io-error';
import { detachStdioFromNativeExit, disableCoreDumps } from '../platform/core-dumps';

declare const EXVAULT_VERSION: string;

/** Adds one command (and its options) to the program. */
export type RegisterCommand = (program: Command, invocation: Invocation) => void;

/** The program with the given commands: each entry defines only the commands it can run. */
export function buildProgram(commands: RegisterCommand[], invocation: Invocation = { childArgv: [], status: EXIT.ok }): Command {
  const program = new Command('vault')
    .description('exvault: an encrypted vault for crypto-exchange API keys')
    .version(typeof EXVAULT_VERSION === 'string' ? EXVAULT_VERSION : 'dev', '-V, --version')
    .option('--vault <path>', 'the vault file (default: $EXVAULT_FILE, else the platform data folder)')
    .option('--passphrase-file <path>', 'read the passphrase from a file (also: EXVAULT_PASSPHRASE_FILE)')
    .option('--passphrase-fd <n>', 'read the passphrase from an open file descriptor')
    .option('--allow-symlink', 'accept a vault path that is a symbolic link')
    .option('--no-color', 'no colour (also: NO_COLOR)')
    .option('-q, --quiet', 'print only results and errors')
    .addOption(new Option('--debug', 'show where an unexpected error happened').hideHelp())
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, outputError: () => undefined });
  program.hook('preAction', (_this, action) => {
    // commander turns --no-color into color: false.
    const g = action.optsWithGlobals<{ color?: boolean; quiet?: boolean; passphraseFile?: string }>();
    configureOutput({ noColor: g.color === false, quiet: Boolean(g.quiet) });
    // Standard input can be read once: "-" for the passphrase and for a file is refused up front.
    const dashes = [...action.args, ...Object.values(action.opts()), g.passphraseFile].filter((v) => v === '-').length;
    if (dashes > 1) throw new UsageError('"-" (standard input) is given twice, and it can be read only once', ['give one of them a file']);
  });
  for (const register of commands) {
    register(program, invocation);
  }
  const quiet = (c: Command): void => {
    c.exitOverride().configureOutput({ writeErr: () => undefined, outputError: () => undefined });
    c.commands.forEach(quiet);
  };
  program.commands.forEach(quiet);
  return program;
}

/** Commander's own messages may quote argv (e.g. --opt=value): keep only the option name. */
function usageMessage(err: CommanderError): string {
  const msg = err.message.replace(/^error: /, '');
  return msg.replace(/'(--?[A-Za-z0-9-]+)=[^']*'/g, "'$1'");
}

/** Handles a command word the program itself does not define (main.ts: __complete, __man), or returns undefined. */
export type SpecialCommand = (argv: string[]) => Promise<number | undefined>;

/** Runs one command and returns the process's exit status; `invocation` carries it meanwhile. */
export async function main(argv: string[], invocation: Invocation, commands: RegisterCommand[], special?: SpecialCommand): Promise<number> {
  const handled = await special?.(argv);
  if (handled !== undefined) return handled;
  // "vault exec ... -- cmd args": the program's own arguments never go through our option parser.
  const dd = argv.indexOf('--');
  if (dd >= 0) {
    invocation.childArgv = argv.slice(dd + 1);
    argv = argv.slice(0, dd);
  }
  const program = buildProgram(commands, invocation);
  const debug = argv.includes('--debug');
  configureOutput({ noColor: argv.includes('--no-color'), quiet: argv.includes('--quiet') || argv.includes('-q') });
  try {
    await program.parseAsync(argv, { from: 'user' });
    syncStdout();
    // The status the command's use case returned (exec, check, rotate --due, doctor, scan).
    return invocation.status;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      renderError(new UsageError(usageMessage(err), ['see: vault help']), debug);
      return EXIT.usage;
    }
    const shown = moduleLoadError(err) ?? err;
    renderError(shown, debug);
    return (shown as { exitCode?: number })?.exitCode ?? EXIT.failure;
  }
}

/** The whole process: guards, then the command, then its status as the process's. */
export function runCli(commands: RegisterCommand[], special?: SpecialCommand): void {
  // Before anything can read a secret: no core file of this process (RLIMIT_CORE 0) and, on
  // Linux, not dumpable at all. Best effort: where libc cannot be reached the command still runs.
  disableCoreDumps();
  // Last thing on every exit path (process.exit included): see detachStdioFromNativeExit.
  process.on('exit', detachStdioFromNativeExit);
  const invocation: Invocation = { childArgv: [], status: EXIT.ok };

  // A reader that goes away (vault list | head) is not an error; anything thrown outside the
  // normal path still gets the one-line treatment, never a raw stack or library text.
  // Any other failure to write the results (a full disk, an I/O error) is the storage error, exit
  // 9; when stderr itself cannot be written, nothing can be said but the exit status.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') {
        // vault exec turns this off: there the reader's going away reaches the program, whose status wins.
        if (exitsOnBrokenPipe()) process.exit(invocation.status);
        return;
      }
      // (vault exec adds its own listener: there the program's status must win, so it stays silent.)
      if (stream === process.stdout && stream.listenerCount('error') === 1) {
        renderError(outputFailure(err), false);
        process.exit(EXIT.storage);
      }
    });
  }
  const fatal = (thrown: unknown) => {
    const err = moduleLoadError(thrown) ?? thrown;
    renderError(err, process.argv.includes('--debug'));
    process.exit((err as { exitCode?: number })?.exitCode ?? EXIT.failure);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);

  // The one place the process's status is set: from the status main returns.
  main(process.argv.slice(2), invocation, commands, special)
    .catch(() => EXIT.failure)
    .then((code) => {
      process.exitCode = code;
    });
}
